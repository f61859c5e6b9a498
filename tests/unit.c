/* SPDX-License-Identifier: MIT */
/* unit.c - runs every unit suite; exit status is the number of failures. */
#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>

#include "unit.h"

const char *test_data(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CANRIG_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

int main(void)
{
	unsigned int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (register_cf_tests() || register_clog_tests() || register_cio_tests() ||
	    register_dbc_tests() || register_isotp_tests() ||
	    register_uds_tests() || register_uds_client_tests() || register_uds_sim_tests() ||
	    register_gw_csum_tests() || register_gw_tests() || register_gw_conf_tests() ||
	    register_gw_cgw_tests()) {
		fprintf(stderr, "unit: cannot register suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
