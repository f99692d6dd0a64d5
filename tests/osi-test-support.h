/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"

G_BEGIN_DECLS

/* A fresh folder under the temporary directory; removed by
 * osi_test_remove_tmpdir (). */
char     *osi_test_make_tmpdir    (void);
void      osi_test_remove_tmpdir  (const char *path);

/* path/data filled by the demo generator, returned. */
char     *osi_test_generate_data  (const char *parent,
                                   guint64     size,
                                   guint32     seed);

/* Byte-for-byte comparison of two trees (types, names, contents, the
 * executable bit). On a difference, *why says which. */
gboolean  osi_test_trees_equal    (const char *a,
                                   const char *b,
                                   char      **why);

/* Writes an archive entry by entry, for hostile cases. type is AE_IFREG,
 * AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO…; link is the target of a
 * symlink or, with hardlink set, of a hard link. data may hold NULs. */
typedef struct
{
  const char *path;
  mode_t      type;
  const char *data;
  gssize      len;       /* -1: strlen (data) */
  const char *link;
  gboolean    hardlink;
} OsiTestEntry;

/* The length of the entry's data: len, strlen (data) when len is -1, 0
 * without data. */
gsize     osi_test_entry_len      (const OsiTestEntry  *entry);

/* filter: ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_GZIP or ARCHIVE_FILTER_NONE;
 * format: ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_USTAR,
 * ARCHIVE_FORMAT_ZIP. with_manifest adds a manifest.json, last, listing
 * every regular entry with its true size and SHA-256. */
void      osi_test_write_archive  (const char          *path,
                                   int                  filter,
                                   int                  format,
                                   const OsiTestEntry  *entries,
                                   guint                n_entries,
                                   gboolean             with_manifest);

/* A manifest.json (docs/archive-format.md) written by hand, for archives
 * the library would not make: osi_test_manifest_begin () with its format
 * and version, osi_test_manifest_add () for each file, then
 * osi_test_manifest_end () gives its text (rag_entries 1). */
JsonBuilder *osi_test_manifest_begin (const char  *format,
                                      gint64       version);
void      osi_test_manifest_add   (JsonBuilder *builder,
                                   const char  *path,
                                   gint64       size,
                                   const char  *sha256);
char     *osi_test_manifest_end   (JsonBuilder *builder);

/* path: an archive of data_dir by the library (osi_archive_create (),
 * asserted to succeed); *sha256 (may be NULL): the digest it returned. */
void      osi_test_make_archive   (const char      *data_dir,
                                   const char      *path,
                                   OsiCompression   compression,
                                   char           **sha256);

/* Every finding of report in the test's log, one a line. */
void      osi_test_log_findings   (OsiVerifyReport *report);

/* The entries of data_dir/rag/search.json, counted without the library. */
guint     osi_test_count_rag_entries (const char *data_dir);

/* A metadata bomb: n empty files whose names are exactly name_len bytes
 * (folders of 200 bytes, as a real tree could have, then the file's
 * number; OSI_TEST_NAMES_SAME repeats file 0), then, when symlink_last,
 * a symbolic link data/link → /etc/passwd. A few hundred kilobytes of
 * tar.zst that expand to hundreds of megabytes of headers and names.
 * filter: ARCHIVE_FILTER_ZSTD or ARCHIVE_FILTER_GZIP (level 1). */
typedef enum
{
  OSI_TEST_NAMES_UNIQUE,
  OSI_TEST_NAMES_SAME,
} OsiTestNames;

void      osi_test_write_name_bomb (const char   *path,
                                    int           filter,
                                    guint         n,
                                    gsize         name_len,
                                    OsiTestNames  names,
                                    gboolean      symlink_last);

/* A small valid RAG knowledge base. */
const char *osi_test_valid_rag    (void);

/* Runs $OSI_BACKUP_CLI with the arguments (NULL-terminated) and the given
 * extra environment ("LANG=fr_FR.UTF-8", …, NULL); returns its exit status. */
int       osi_test_run_cli        (char       **out_stdout,
                                   char       **out_stderr,
                                   const char * const *env_extra,
                                   const char  *first_arg,
                                   ...) G_GNUC_NULL_TERMINATED;

/* The name of the only entry of dir that starts with prefix (asserted:
 * exactly one). */
char     *osi_test_only_entry_with_prefix (const char *dir,
                                           const char *prefix);

/* For g_ptr_array_sort () of strings (char *). */
int       osi_test_compare_strings (gconstpointer a,
                                    gconstpointer b);

/* The names of dir's entries, sorted (dir asserted readable). These and
 * the counts below leave out a server's catalog (.osi-catalog.sqlite and
 * its WAL), which is not an entry (docs/api.md §8.4). */
GStrv     osi_test_dir_names      (const char *dir);

/* The number of entries of dir (asserted readable), hidden ones too. */
guint     osi_test_count_entries  (const char *dir);
/* The same, 0 when dir does not exist. */
guint     osi_test_n_files        (const char *dir);

/* path's size, -1 when it cannot be read. */
gint64    osi_test_file_size      (const char *path);
/* path's SHA-256 in lowercase hexadecimal (asserted readable), by GLib,
 * independently of osi_sha256 (). */
char     *osi_test_file_sha256    (const char *path);
/* The two files hold the same bytes (read a piece at a time: they may be
 * large). */
void      osi_test_assert_files_equal (const char *a,
                                       const char *b);

/* Sets path's mtime (and atime) to unix_time + nsec (asserted). */
void      osi_test_set_mtime      (const char *path,
                                   gint64      unix_time,
                                   long        nsec);

/* What a test needs is missing here (a display, a locale, a tool): it is
 * skipped, except under CI (CI=true), where .ci/run installs and starts
 * everything and a skip would only hide a test that never ran: there it
 * fails. */
void      osi_test_missing        (const char *what);

/* The root of the JSON text data (len bytes, or up to its NUL when
 * -1), which must parse (asserted). */
JsonNode *osi_test_parse_json     (const char *data,
                                   gssize      len);
/* The object of array (the API's lists: backups, copies, a prune's keep)
 * whose "name" is name, borrowed from array; NULL when none is. */
JsonObject *osi_test_json_find_named (JsonArray  *array,
                                      const char *name);

/* A test certificate authority and a server certificate it signed, for
 * 127.0.0.1, made with openssl in dir: dir/ca.pem, dir/server.pem and
 * dir/server.key (0600). FALSE, with the case skipped (osi_test_missing),
 * where there is no openssl. */
gboolean  osi_test_make_tls_certificates (const char *dir);

/* Whether this machine has the named locale (tests that need French skip
 * without it; CI generates it). */
gboolean  osi_test_have_locale    (const char *name);

/* Switches this process to French (fr_FR.UTF-8 and the build's
 * catalogues); returns what to give osi_test_restore_locale (), or NULL,
 * with the test skipped, where that cannot be done. */
char     *osi_test_use_french     (void);
void      osi_test_restore_locale (char       *saved);

/* size bytes (rounded up to 64 KiB) of random data from seed: a backup
 * large enough to be caught while it downloads. */
void      osi_test_write_random_file (const char *path,
                                      gsize       size,
                                      guint32     seed);

/* Runs the main loop until done (data) holds. A periodic source keeps
 * the loop turning so that the deadline is checked even when nothing
 * happens; the deadline (OSI_TEST_WAIT_S) only turns a hang into a
 * failure naming what, it times nothing. */
#define OSI_TEST_WAIT_S 60

typedef gboolean (*OsiTestCondition) (gpointer data);

void      osi_test_wait_for       (OsiTestCondition  done,
                                   gpointer          data,
                                   const char       *what);

/* An async call waited for: osi_test_store_result () as its callback
 * with &slot (a GAsyncResult * that starts NULL) as user data, then
 * osi_test_wait_result (&slot, what) runs the default main context until
 * the result arrives, bounded as osi_test_wait_for (). The caller owns the
 * result and clears the slot before the next call. */
void          osi_test_store_result (GObject       *source,
                                     GAsyncResult  *result,
                                     gpointer       user_data);
GAsyncResult *osi_test_wait_result  (GAsyncResult **slot,
                                     const char    *what);

/* A real osi-backup-server ($OSI_BACKUP_SERVER) on 127.0.0.1, port 0, over
 * data_dir and backup_dir, with the token given (written to a 0600 token
 * file in tmp_dir; NULL for none) and any extra arguments, ending with
 * NULL (so with none, first_extra_arg is that NULL). Its stderr
 * (the access log) goes to the test's stderr. */
typedef struct
{
  GPid  pid;
  char *url;
  char *token;
  char *token_file;
} OsiTestServer;

OsiTestServer *osi_test_server_start (const char  *tmp_dir,
                                      const char  *data_dir,
                                      const char  *backup_dir,
                                      const char  *token,
                                      const char  *first_extra_arg,
                                      ...);
/* osi_test_server_start () with what a few tests need besides. extra_args:
 * NULL-terminated, or NULL for none. */
typedef struct
{
  const char *log_path;  /* its stderr (the access log) goes there; NULL: the test's */
  guint       nofile;    /* its RLIMIT_NOFILE; 0: the test's */
} OsiTestServerOptions;

OsiTestServer *osi_test_server_start_full (const char                 *tmp_dir,
                                           const char                 *data_dir,
                                           const char                 *backup_dir,
                                           const char                 *token,
                                           const OsiTestServerOptions *options,
                                           const char * const         *extra_args);
/* The stand-in of the deployed OSI backend (docs/api.md §5.1), a FastAPI service
 * ($OSI_BACKUP_FASTAPI, tests/osi-fastapi-backend.py), started and
 * stopped the same way. data_dir/rag/search.json is its knowledge base;
 * its extra arguments: --time-zone TZ, --create-without-filename,
 * --extra-entries FILE, --restore-field NAME (see its header). */
OsiTestServer *osi_test_fastapi_start (const char  *tmp_dir,
                                       const char  *data_dir,
                                       const char  *backup_dir,
                                       const char  *token,
                                       const char  *first_extra_arg,
                                       ...);
/* osi_test_fastapi_start () with what the service needs: data's
 * knowledge base (data/rag/search.json, a valid one) and backups, a new
 * empty folder the caller fills. Its files (the token's, the extra
 * entries') go beside data. extra_entries is the JSON of the entries
 * every list appends, or NULL; zone is the service's time zone, or NULL
 * for its default. */
OsiTestServer *osi_test_fastapi_serve (const char *data,
                                       const char *backups,
                                       const char *token,
                                       const char *extra_entries,
                                       const char *zone);
/* The port of a server on http://127.0.0.1 (asserted). */
guint16        osi_test_server_port  (OsiTestServer *server);
/* Raw HTTP, for requests no client library would send: a connection to
 * 127.0.0.1:port (asserted), and a response's status (0: none). */
int            osi_test_tcp_connect  (guint16        port);
guint          osi_test_http_status  (const char    *response);
/* Has the servers started and not yet stopped killed when the test
 * aborts or crashes. */
void           osi_test_kill_servers_on_fatal_signals (void);
/* For a process started elsewhere (the RADOS Gateway's daemons): the
 * pid old_pid (0: a free slot) becomes new_pid (0: no longer running)
 * among those killed then. */
void           osi_test_track_server (GPid old_pid,
                                      GPid new_pid);
/* Waits until the server lists name with the given kind ("safety", …):
 * a restore answers before its safety backup is made (docs/api.md §3.5). */
void           osi_test_server_wait_listed (OsiTestServer *server,
                                            const char    *name,
                                            const char    *kind);
/* SIGTERM, then waits; returns the exit status (or -signal). */
int            osi_test_server_stop  (OsiTestServer *server);
/* For a fixture's teardown (server may be NULL): a server still running
 * is stopped as osi_test_server_stop (), its exit asserted clean (0: on
 * SIGTERM, and under the sanitizers without a leak); then it is freed. */
void           osi_test_server_finish (OsiTestServer *server);
/* SIGKILL, then waits. */
void           osi_test_server_kill  (OsiTestServer *server);
void           osi_test_server_free  (OsiTestServer *server);

G_END_DECLS
