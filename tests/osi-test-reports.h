/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-verify-report.h"

G_BEGIN_DECLS

/* Asserts that two verifications of one archive (through the pipe and
 * through libarchive's own filter, say) found the same: findings code for
 * code and message for message, the files read with their sizes and
 * checksums, the bytes, the verdict, the format and the knowledge base's
 * entries. Compiled into the tests and the fuzz targets alike. */
void osi_test_assert_same_reports (OsiVerifyReport *a,
                                   OsiVerifyReport *b);

G_END_DECLS
