/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-s3.h"

G_BEGIN_DECLS

/* What the off-site suites that link the server's S3 layer
 * (test-offsite-rgw.c, test-server-offsite.c) share. */

/* The multipart uploads left on s3 under prefix, each logged; with key,
 * only those of that key. */
guint osi_test_offsite_count_uploads (OsiS3      *s3,
                                      const char *prefix,
                                      const char *key);

G_END_DECLS
