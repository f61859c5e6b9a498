/* SPDX-License-Identifier: MIT */
/*
 * unit.c - runs the unit suites: all of them, or those named on the
 * command line (`test_unit gw cf`, `make check-unit SUITE="gw cf"`).
 * `test_unit --list` prints the names.  Exit status: 0 all passed, 1 a
 * test failed or the registry failed, 2 an unknown suite name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "unit.h"

#define MAX_SUITES 64

static struct suite {
	const char *name;
	unit_register_fn fn;
} suites[MAX_SUITES];
static size_t nsuites;

void unit_suite_add(const char *name, unit_register_fn fn)
{
	/* a constructor cannot report an error: too many suites is a build
	 * mistake, and main() says so before running anything */
	if (nsuites < MAX_SUITES)
		suites[nsuites] = (struct suite){name, fn};
	nsuites++;
}

const char *test_data(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CANRIG_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct suite *)a)->name, ((const struct suite *)b)->name);
}

static const struct suite *find(const char *name)
{
	for (size_t i = 0; i < nsuites; i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int fails;
	int i, rc = 1;

	if (nsuites > MAX_SUITES) {
		fprintf(stderr, "unit: %zu suites, MAX_SUITES is %d\n", nsuites, MAX_SUITES);
		return 1;
	}
	/* constructors run in link order; the report reads better sorted */
	qsort(suites, nsuites, sizeof(suites[0]), by_name);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t k = 0; k < nsuites; k++)
			puts(suites[k].name);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!find(argv[i])) {
			fprintf(stderr, "unit: no suite '%s' (test_unit --list names them)\n",
				argv[i]);
			return 2;
		}
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (size_t k = 0; k < nsuites; k++) {
		int chosen = argc == 1;

		for (i = 1; i < argc && !chosen; i++)
			chosen = !strcmp(argv[i], suites[k].name);
		if (chosen && suites[k].fn()) {
			fprintf(stderr, "unit: cannot register suite %s: %s\n", suites[k].name,
				CU_get_error_msg());
			goto out_registry;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	rc = fails ? 1 : 0;
out_registry:
	CU_cleanup_registry();
	return rc;
}
