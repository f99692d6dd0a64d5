/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "osi-test-support.h"

G_BEGIN_DECLS

/* A real Ceph RADOS Gateway on 127.0.0.1 for the off-site copies' tests
 * (DESIGN §7): one mon, one memstore OSD, auth none, radosgw on a free
 * port, an S3 user with known keys and one bucket, all in a fresh folder
 * under tmp_dir. Every daemon ends with the test, however it ends (the
 * test's fatal signals, or the test's own death). */
typedef struct _OsiTestRgw OsiTestRgw;

/* NULL, with the case skipped (osi_test_missing: a failure under CI),
 * where Ceph or s3cmd is not installed. A daemon that does not come up
 * within 60 s fails the test with the tail of its log. */
OsiTestRgw *osi_test_rgw_start          (const char *tmp_dir);
/* The same with an OSD store of memstore_bytes (osi_test_rgw_start ():
 * 1 GiB), for more than that on the gateway at once (a benchmark's 1 GiB
 * copies). The store takes memory only as it fills. */
OsiTestRgw *osi_test_rgw_start_sized    (const char *tmp_dir,
                                         guint64     memstore_bytes);
/* A test program's one gateway, started by the first case that needs it
 * (it takes seconds) into *rgw with osi_test_rgw_start_sized ()
 * (memstore_bytes 0: osi_test_rgw_start ()), the time it took logged: TRUE when *rgw is up. When it could not start, that
 * call and every later one return FALSE, the later ones marking their
 * case skipped (osi_test_missing ()). One slot a program. */
gboolean    osi_test_rgw_start_once     (OsiTestRgw **rgw,
                                         const char  *tmp_dir,
                                         guint64      memstore_bytes);
/* Stops radosgw alone (SIGKILL: a gateway gone mid-request), then starts
 * it again on the same port, waiting until it answers. */
void        osi_test_rgw_stop_gateway   (OsiTestRgw *rgw);
void        osi_test_rgw_start_gateway  (OsiTestRgw *rgw);
/* Stops every daemon and removes the folder. */
void        osi_test_rgw_free           (OsiTestRgw *rgw);

/* http://127.0.0.1:PORT */
const char *osi_test_rgw_get_endpoint   (OsiTestRgw *rgw);
const char *osi_test_rgw_get_bucket     (OsiTestRgw *rgw);
/* http://127.0.0.1:PORT/BUCKET, a --offsite-url without a prefix. */
const char *osi_test_rgw_get_url        (OsiTestRgw *rgw);
const char *osi_test_rgw_get_access_key (OsiTestRgw *rgw);
const char *osi_test_rgw_get_secret_key (OsiTestRgw *rgw);
/* A --offsite-credentials file (docs/api.md §7), mode 0600. */
const char *osi_test_rgw_get_credentials (OsiTestRgw *rgw);
/* An s3cmd configuration for the same user (s3cmd -c FILE). */
const char *osi_test_rgw_get_s3cmd_config (OsiTestRgw *rgw);
/* radosgw's log, which its restarts append to: at its default level it
 * has a line for each request answered ("beast: … "PUT /BUCKET/KEY?…"
 * STATUS …"), so that a test can count the requests the gateway served. */
const char *osi_test_rgw_get_log        (OsiTestRgw *rgw);

/* A real osi-backup-server (osi_test_server_start ()) copying off-site
 * to offsite_url (the gateway's bucket, perhaps with a prefix) with the
 * gateway's credentials; retry_max, when not NULL, its
 * --offsite-retry-max. */
OsiTestServer *osi_test_rgw_server_start (OsiTestRgw *rgw,
                                          const char *tmp_dir,
                                          const char *data_dir,
                                          const char *backup_dir,
                                          const char *token,
                                          const char *offsite_url,
                                          const char *retry_max);

/* s3cmd run with the gateway's configuration and --no-progress, then
 * the arguments up to NULL; its success asserted (else the test fails
 * with its output). Its standard output. */
char       *osi_test_rgw_s3cmd          (OsiTestRgw *rgw,
                                         const char *first_arg,
                                         ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiTestRgw, osi_test_rgw_free)

G_END_DECLS
