/* SPDX-License-Identifier: MIT */
/* unit.h - suite registration for the single CUnit runner. */
#ifndef CANRIG_TESTS_UNIT_H
#define CANRIG_TESTS_UNIT_H

#include <CUnit/CUnit.h>

/* Adds one suite to the CUnit registry; returns 0 or a CUnit error. */
typedef int (*unit_register_fn)(void);

/* Records a suite for the runner (called before main(), see UNIT_SUITE). */
void unit_suite_add(const char *name, unit_register_fn fn);

/*
 * One line per suite, after its register function, e.g.
 *   UNIT_SUITE(gw, register_gw_tests)
 * The constructor runs before main(), so a new suite is its file and this
 * line: the runner and the Makefile (tests/test_*.c) need no edit.  NAME
 * is what `test_unit NAME` and `make check-unit SUITE=NAME` select.
 */
#define UNIT_SUITE(name, fn)                                                                       \
	__attribute__((constructor)) static void unit_suite_##name(void)                           \
	{                                                                                          \
		unit_suite_add(#name, fn);                                                         \
	}

/* Path of a file under tests/data (static buffer). */
const char *test_data(const char *name);

#endif
