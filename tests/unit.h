/* SPDX-License-Identifier: MIT */
/* unit.h - suite registration for the single CUnit runner. */
#ifndef CANRIG_TESTS_UNIT_H
#define CANRIG_TESTS_UNIT_H

#include <CUnit/CUnit.h>

/* Each adds its suite to the CUnit registry; returns 0 or a CUnit error. */
int register_cf_tests(void);
int register_clog_tests(void);
int register_cio_tests(void);
int register_dbc_tests(void);
int register_isotp_tests(void);
int register_uds_tests(void);
int register_uds_client_tests(void);
int register_uds_sim_tests(void);
int register_gw_csum_tests(void);
int register_gw_tests(void);
int register_gw_conf_tests(void);
int register_gw_cgw_tests(void);

/* Path of a file under tests/data (static buffer). */
const char *test_data(const char *name);

#endif
