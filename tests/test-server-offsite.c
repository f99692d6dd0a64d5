/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-clock.h"
#include "osi-s3.h"
#include "osi-server.h"
#include "osi-test-rgw.h"
#include "osi-test-http.h"
#include "osi-test-offsite.h"
#include "osi-test-support.h"

/* The off-site copies of docs/api.md §7 as osi-backup-server makes them:
 * the real server on 127.0.0.1 port 0 with --offsite-url pointing at a
 * real Ceph RADOS Gateway (tests/osi-test-rgw.h), one for the whole
 * program; each case under a prefix of its own in the gateway's bucket.
 * s3cmd, a client that is not ours, reads back what the server wrote.
 * Nothing is timed: a copy is waited for with a deadline that only turns
 * a hang into a failure naming what. The faults (gateway or server killed
 * mid-copy, wrong keys, missing bucket, a large backup) are
 * tests/test-offsite-rgw.c's. */

#define TOKEN "offsite-test-token-93d1"

static OsiTestRgw *rgw;
static char *rgw_dir;
static guint n_prefixes;

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *prefix;     /* the case's, under the bucket */
  OsiTestServer *server;
  OsiServer     *in_process;   /* or one in this process */
  char          *url;          /* of either */
  SoupSession   *session;
} Fixture;

/* One gateway for every case, started by the first that needs it. */
static gboolean
have_gateway (void)
{
  return osi_test_rgw_start_once (&rgw, rgw_dir, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 64 * 1024, 1);
  if (GPOINTER_TO_UINT (user_data) > 0)
    {
      /* bytes that do not compress, for a backup of that size */
      g_autofree char *dir = g_build_filename (f->data, "data", NULL);
      g_autofree char *noise = g_build_filename (dir, "noise.bin", NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      osi_test_write_random_file (noise, GPOINTER_TO_UINT (user_data), 7);
    }
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  f->session = soup_session_new ();
  f->prefix = g_strdup_printf ("case-%u", ++n_prefixes);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_server_finish (f->server);
  g_clear_object (&f->in_process);
  g_free (f->url);
  g_clear_object (&f->session);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->prefix);
}

static void
start_server (Fixture  *f,
              gboolean  offsite)
{
  g_autofree char *url = offsite ? g_strdup_printf ("%s/%s", osi_test_rgw_get_url (rgw), f->prefix) : NULL;

  if (offsite)
    f->server = osi_test_rgw_server_start (rgw, f->tmp, f->data, f->backups, TOKEN, url, NULL);
  else
    f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, NULL);
  g_free (f->url);
  f->url = g_strdup (f->server->url);
}

static OsiTestResponse *
request_with (Fixture    *f,
              const char *method,
              const char *path_query,
              const char *type,
              GBytes     *body)
{
  return osi_test_request (f->session, TRUE, method, f->url, path_query, TOKEN, type, body);
}

static OsiTestResponse *
request (Fixture    *f,
         const char *method,
         const char *path_query,
         const char *json)
{
  g_autoptr(GBytes) body = json != NULL ? g_bytes_new (json, strlen (json)) : NULL;

  return request_with (f, method, path_query, "application/json", body);
}

static const char *
assert_error (OsiTestResponse *r,
              guint            status,
              const char      *expected)
{
  const char *detail;

  osi_test_response_assert_status (r, status);
  detail = json_object_get_string_member_with_default (osi_test_response_object (r), "detail", NULL);
  g_assert_nonnull (detail);
  if (expected != NULL)
    g_assert_cmpstr (detail, ==, expected);
  return detail;
}

static char *
create_backup (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", NULL);
  JsonObject *backup;

  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  return g_strdup (json_object_get_string_member (backup, "name"));
}

/* The entry of name in GET /offsite (a new reference), or NULL. */
static JsonObject *
find_copy (Fixture    *f,
           const char *name)
{
  g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup/offsite", NULL);
  JsonObject *found;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  found = osi_test_json_find_named (json_object_get_array_member (osi_test_response_object (r), "copies"), name);
  return found != NULL ? json_object_ref (found) : NULL;
}

/* The list entry of name (a new reference), or NULL. */
static JsonObject *
find_entry (Fixture    *f,
            const char *name)
{
  g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup", NULL);
  JsonObject *found;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  found = osi_test_json_find_named (json_object_get_array_member (osi_test_response_object (r), "backups"), name);
  return found != NULL ? json_object_ref (found) : NULL;
}

static const char *
offsite_state (JsonObject *entry)
{
  JsonObject *offsite;

  if (entry == NULL || !json_object_has_member (entry, "offsite"))
    return NULL;
  offsite = json_object_get_object_member (entry, "offsite");
  return json_object_get_string_member (offsite, "state");
}

/* Polls the list until name's copy is done; a failed copy, or none after
 * OSI_TEST_WAIT_S, fails the test with what the server said. */
static void
wait_copy_done (Fixture    *f,
                const char *name)
{
  gint64 deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) entry = find_entry (f, name);
      const char *state = offsite_state (entry);

      if (g_strcmp0 (state, "done") == 0)
        return;
      if (g_strcmp0 (state, "failed") == 0)
        g_error ("the off-site copy of %s failed: %s", name,
                 json_object_get_string_member (json_object_get_object_member (entry, "offsite"), "detail"));
      if (g_get_monotonic_time () > deadline)
        g_error ("the off-site copy of %s is still %s after %d s", name, state != NULL ? state : "not listed",
                 OSI_TEST_WAIT_S);
      g_usleep (50 * 1000);
    }
}

static char *
object_key (Fixture    *f,
            const char *name)
{
  return g_strdup_printf ("%s/%s/%s", f->prefix, g_get_host_name (), name);
}

/* The object of name's copy, got by s3cmd into the test's folder. */
static char *
s3cmd_get (Fixture    *f,
           const char *name)
{
  g_autofree char *key = object_key (f, name);
  g_autofree char *source = g_strdup_printf ("s3://%s/%s", osi_test_rgw_get_bucket (rgw), key);
  char *path = g_build_filename (f->tmp, "got-by-s3cmd", NULL);

  g_unlink (path);
  g_free (osi_test_rgw_s3cmd (rgw, "get", source, path, NULL));
  return path;
}

/* ------------------------------------------------------------------------ */

/* Without --offsite-url: no feature, 404 with §7's detail on both paths,
 * no "offsite" member, and the policy's "offsite" stored all the same. */
static void
test_not_configured (Fixture       *f,
                     gconstpointer  user_data)
{
  static const char *detail = "This server does not copy its backups off-site (no --offsite-url).";
  g_autoptr(OsiTestResponse) health = NULL;
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) entry = NULL;
  g_autofree char *name = NULL;
  JsonArray *features;

  start_server (f, FALSE);
  health = request (f, "GET", "/api/health", NULL);
  osi_test_response_assert_status (health, SOUP_STATUS_OK);
  features = json_object_get_array_member (osi_test_response_object (health), "features");
  g_assert_cmpuint (json_array_get_length (features), >, 0);
  for (guint i = 0; i < json_array_get_length (features); i++)
    g_assert_cmpstr (json_array_get_string_element (features, i), !=, "offsite");

  r = request (f, "GET", "/api/rag/backup/offsite", NULL);
  assert_error (r, SOUP_STATUS_NOT_FOUND, detail);
  g_clear_pointer (&r, osi_test_response_free);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", "{\"backupFile\": \"backup_20261201_023000.tar.zst\"}");
  assert_error (r, SOUP_STATUS_NOT_FOUND, detail);
  g_clear_pointer (&r, osi_test_response_free);

  name = create_backup (f);
  entry = find_entry (f, name);
  g_assert_nonnull (entry);
  g_assert_false (json_object_has_member (entry, "offsite"));

  r = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_last\": 4}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (osi_test_response_object (r), "offsite"),
                                               "keep_last"), ==, 4);
}

/* A backup over one part (12 MiB of data that does not compress: two
 * parts of a multipart upload) is copied: done, with its size and
 * checksum, and s3cmd reads back the very bytes of the local file. */
static void
test_copy (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) health = NULL;
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) entry = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *name = NULL;
  g_autofree char *local = NULL;
  g_autofree char *got = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *prefix = NULL;
  JsonArray *features;
  gboolean listed = FALSE;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  health = request (f, "GET", "/api/health", NULL);
  features = json_object_get_array_member (osi_test_response_object (health), "features");
  for (guint i = 0; i < json_array_get_length (features); i++)
    listed |= g_strcmp0 (json_array_get_string_element (features, i), "offsite") == 0;
  g_assert_true (listed);

  name = create_backup (f);
  local = g_build_filename (f->backups, name, NULL);
  g_assert_cmpint (osi_test_file_size (local), >, 8 << 20);
  wait_copy_done (f, name);

  entry = find_entry (f, name);
  sha256 = osi_test_file_sha256 (local);
  g_assert_cmpstr (json_object_get_string_member (entry, "sha256"), ==, sha256);
  copy = find_copy (f, name);
  g_assert_nonnull (copy);
  g_assert_cmpstr (json_object_get_string_member (copy, "sha256"), ==, sha256);
  g_assert_cmpint (json_object_get_int_member (copy, "size"), ==, osi_test_file_size (local));
  g_assert_cmpint (json_object_get_int_member (copy, "copied"), ==, osi_test_file_size (local));
  g_assert_true (json_object_get_boolean_member (copy, "local"));
  g_assert_cmpstr (json_object_get_string_member (copy, "kind"), ==, "manual");
  g_assert_cmpstr (json_object_get_string_member (copy, "date"), ==, json_object_get_string_member (entry, "date"));

  r = request (f, "GET", "/api/rag/backup/offsite", NULL);
  g_assert_cmpstr (json_object_get_string_member (osi_test_response_object (r), "bucket"), ==, osi_test_rgw_get_bucket (rgw));
  prefix = g_strdup_printf ("%s/%s/", f->prefix, g_get_host_name ());
  g_assert_cmpstr (json_object_get_string_member (osi_test_response_object (r), "prefix"), ==, prefix);

  got = s3cmd_get (f, name);
  osi_test_assert_files_equal (local, got);
}

/* An upload and a restore's safety backup are queued and copied too, each
 * with its kind. */
static void
test_kinds (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) uploaded = NULL;
  g_autoptr(JsonObject) safety = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *safety_name;
  gsize len;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  name = create_backup (f);
  wait_copy_done (f, name);

  path = g_build_filename (f->backups, name, NULL);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  r = request_with (f, "POST", "/api/rag/backup/upload?filename=uploaded_20261201.tar.zst",
                    "application/octet-stream", bytes);
  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  g_clear_pointer (&r, osi_test_response_free);
  wait_copy_done (f, "uploaded_20261201.tar.zst");
  uploaded = find_copy (f, "uploaded_20261201.tar.zst");
  g_assert_cmpstr (json_object_get_string_member (uploaded, "kind"), ==, "upload");

  body = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);
  r = request (f, "POST", "/api/rag/backup/restore", body);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  safety_name = json_object_get_string_member (osi_test_response_object (r), "safety_backup");
  g_assert_nonnull (safety_name);
  osi_test_server_wait_listed (f->server, safety_name, "safety");
  wait_copy_done (f, safety_name);
  safety = find_copy (f, safety_name);
  g_assert_cmpstr (json_object_get_string_member (safety, "kind"), ==, "safety");
}

/* The policy's "offsite" member: stored, answered, kept when left out. */
static void
test_policy (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  JsonObject *offsite;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  r = request (f, "GET", "/api/rag/backup/policy", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  offsite = json_object_get_object_member (osi_test_response_object (r), "offsite");
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_last"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_weekly"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_monthly"), ==, 0);
  g_clear_pointer (&r, osi_test_response_free);

  r = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_last\": 5, \"keep_monthly\": 12}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  r = request (f, "PUT", "/api/rag/backup/policy", "{\"retention\": {\"keep_last\": 4}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  r = request (f, "GET", "/api/rag/backup/policy", NULL);
  offsite = json_object_get_object_member (osi_test_response_object (r), "offsite");
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_last"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_weekly"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (offsite, "keep_monthly"), ==, 12);
  g_clear_pointer (&r, osi_test_response_free);

  r = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_weekly\": -1}}");
  osi_test_response_assert_status (r, SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (strstr (json_object_get_string_member (osi_test_response_object (r), "detail"), "offsite.keep_weekly"));
}

/* A copy whose local file was deleted is listed, brought back whole (the
 * same checksum, date and kind), then restored as any backup; the errors
 * of §7.4. */
static void
test_fetch (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *query = NULL;
  g_autofree char *body = NULL;
  g_autofree char *expected = NULL;
  JsonObject *backup;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  name = create_backup (f);
  wait_copy_done (f, name);
  before = find_entry (f, name);
  path = g_build_filename (f->backups, name, NULL);
  sha256 = osi_test_file_sha256 (path);

  body = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);
  expected = g_strdup_printf ("“%s” is already in the backup folder: restore it directly.", name);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", body);
  assert_error (r, SOUP_STATUS_CONFLICT, expected);
  g_clear_pointer (&r, osi_test_response_free);

  query = g_strdup_printf ("/api/rag/backup?filename=%s", name);
  r = request (f, "DELETE", query, NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  copy = find_copy (f, name);
  g_assert_nonnull (copy);
  g_assert_false (json_object_get_boolean_member (copy, "local"));
  g_assert_cmpstr (offsite_state (copy), ==, "done");

  r = request (f, "POST", "/api/rag/backup/offsite/fetch", body);
  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  g_assert_cmpstr (json_object_get_string_member (backup, "name"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (backup, "sha256"), ==, sha256);
  g_assert_cmpstr (json_object_get_string_member (backup, "kind"), ==, "manual");
  g_assert_cmpstr (offsite_state (backup), ==, "done");
  g_clear_pointer (&r, osi_test_response_free);

  after = find_entry (f, name);
  g_assert_nonnull (after);
  g_assert_cmpstr (json_object_get_string_member (after, "sha256"), ==, sha256);
  g_assert_cmpstr (json_object_get_string_member (after, "date"), ==, json_object_get_string_member (before, "date"));
  {
    g_autofree char *fetched = osi_test_file_sha256 (path);

    g_assert_cmpstr (fetched, ==, sha256);
  }
  /* never a temporary file left beside the backups */
  {
    g_autoptr(GDir) dir = g_dir_open (f->backups, 0, NULL);
    const char *entry;

    while ((entry = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_suffix (entry, ".part"));
  }

  r = request (f, "POST", "/api/rag/backup/restore", body);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);

  r = request (f, "POST", "/api/rag/backup/offsite/fetch", "{\"backupFile\": \"backup_20200101_000000.tar.zst\"}");
  assert_error (r, SOUP_STATUS_NOT_FOUND, "There is no off-site copy of “backup_20200101_000000.tar.zst”.");
  g_clear_pointer (&r, osi_test_response_free);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", "{\"backupFile\": \"../x.tar.zst\"}");
  osi_test_response_assert_status (r, SOUP_STATUS_BAD_REQUEST);
  g_clear_pointer (&r, osi_test_response_free);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", "[]");
  osi_test_response_assert_status (r, SOUP_STATUS_BAD_REQUEST);
}

/* Off-site retention keep_last 3 over 5 copies: the 3 newest stay, the
 * protected oldest too, the other goes from the storage and the list of
 * copies; a dry run plans the same and deletes nothing. */
static void
test_retention (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_auto(GStrv) names = g_new0 (char *, 6);
  g_autofree char *query = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *bucket = NULL;
  JsonObject *offsite;
  JsonArray *remove;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  for (guint i = 0; i < 5; i++)
    {
      names[i] = create_backup (f);
      wait_copy_done (f, names[i]);
      if (i == 0)
        {
          g_autofree char *patch = g_strdup_printf ("/api/rag/backup?filename=%s", names[0]);

          r = request (f, "PATCH", patch, "{\"protected\": true}");
          osi_test_response_assert_status (r, SOUP_STATUS_OK);
          g_clear_pointer (&r, osi_test_response_free);
        }
    }

  r = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_last\": 3}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);

  r = request (f, "POST", "/api/rag/backup/prune?dry_run=1", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  offsite = json_object_get_object_member (osi_test_response_object (r), "offsite");
  remove = json_object_get_array_member (offsite, "remove");
  g_assert_cmpuint (json_array_get_length (remove), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (remove, 0), "name"), ==, names[1]);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (offsite, "keep")), ==, 4);
  g_clear_pointer (&r, osi_test_response_free);
  g_assert_nonnull (find_copy (f, names[1]));

  r = request (f, "POST", "/api/rag/backup/prune", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  offsite = json_object_get_object_member (osi_test_response_object (r), "offsite");
  remove = json_object_get_array_member (offsite, "remove");
  g_assert_cmpuint (json_array_get_length (remove), ==, 1);
  g_assert_false (json_object_has_member (json_array_get_object_element (remove, 0), "error"));
  g_clear_pointer (&r, osi_test_response_free);

  g_assert_null (find_copy (f, names[1]));
  for (guint i = 0; i < 5; i++)
    if (i != 1)
      {
        g_autoptr(JsonObject) copy = find_copy (f, names[i]);

        g_assert_nonnull (copy);
      }
  bucket = g_strdup_printf ("s3://%s/%s/", osi_test_rgw_get_bucket (rgw), f->prefix);
  listing = osi_test_rgw_s3cmd (rgw, "ls", "--recursive", bucket, NULL);
  g_assert_null (strstr (listing, names[1]));
  g_assert_nonnull (strstr (listing, names[0]));

  /* the run the prune recorded names the copy */
  r = request (f, "GET", "/api/rag/backup/policy", NULL);
  {
    g_autofree char *runs = json_to_string (json_object_get_member (osi_test_response_object (r), "last_runs"), FALSE);

    g_assert_nonnull (strstr (runs, names[1]));
  }
}

/* The multipart uploads left on the storage under the case's prefix for
 * name's copy, through the S3 layer (as the server sees them). */
static guint
n_uploads_of (Fixture    *f,
              const char *name)
{
  g_autofree char *url = g_strdup_printf ("%s/%s", osi_test_rgw_get_url (rgw), f->prefix);
  g_autofree char *key = object_key (f, name);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiS3) s3 = osi_s3_new (url, osi_test_rgw_get_access_key (rgw), osi_test_rgw_get_secret_key (rgw), NULL,
                                    osi_test_rgw_get_credentials (rgw), &error);
  g_autofree char *prefix = NULL;

  g_assert_no_error (error);
  prefix = osi_s3_host_prefix (s3, g_get_host_name (), &error);
  g_assert_no_error (error);
  return osi_test_offsite_count_uploads (s3, prefix, key);
}

/* A backup deleted while its copy is under way (docs/api.md §7.2 "Local
 * deletion"): 64 MiB that do not compress, eight parts, watched until
 * the list of copies shows some of its bytes on the storage but not all;
 * then DELETE. Its copy is gone from the list and never comes back, its
 * multipart upload is aborted and no object was made, and the server
 * goes on copying the next backup. A copy that ends before it was seen
 * mid-way fails the test: the case was not reached. */
static void
test_delete_during_copy (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *name = NULL;
  g_autofree char *query = NULL;
  g_autofree char *next = NULL;
  g_autofree char *bucket = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *path = NULL;
  gint64 deadline;
  gint64 size;
  gint64 copied = 0;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  name = create_backup (f);
  path = g_build_filename (f->backups, name, NULL);
  size = osi_test_file_size (path);
  g_assert_cmpint (size, >, 3 * (8 << 20));

  deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(JsonObject) seen = find_copy (f, name);
      const char *state = offsite_state (seen);

      if (seen != NULL)
        copied = json_object_get_int_member (seen, "copied");
      if (g_strcmp0 (state, "copying") == 0 && copied > 0 && copied < size)
        break;
      if (g_strcmp0 (state, "done") == 0 || g_strcmp0 (state, "failed") == 0)
        g_error ("the off-site copy of %s (%" G_GINT64_FORMAT " bytes) is %s before the test saw it under way: "
                 "the case was not reached, make the backup bigger", name, size, state);
      if (g_get_monotonic_time () > deadline)
        g_error ("the off-site copy of %s is still %s with %" G_GINT64_FORMAT " bytes copied after %d s", name,
                 state != NULL ? state : "not listed", copied, OSI_TEST_WAIT_S);
      g_usleep (2 * 1000);
    }
  g_test_message ("deleting %s with %" G_GINT64_FORMAT " of its %" G_GINT64_FORMAT " bytes copied", name, copied,
                  size);

  query = g_strdup_printf ("/api/rag/backup?filename=%s", name);
  r = request (f, "DELETE", query, NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  g_assert_null (find_copy (f, name));

  /* The worker aborts the upload once its part is cancelled. */
  deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  while (n_uploads_of (f, name) > 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the multipart upload of %s is still on the storage %d s after its backup was deleted", name,
                 OSI_TEST_WAIT_S);
      g_usleep (50 * 1000);
    }

  /* The server goes on: the next backup is copied, and the dropped one
   * neither came back nor left an object. */
  r = request (f, "GET", "/api/health", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  /* a backup made within the same second would take the deleted one's
   * name (names are by the UTC second) */
  for (;;)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *stamp = g_date_time_format (now, "backup_%Y%m%d_%H%M%S.");

      if (!g_str_has_prefix (name, stamp))
        break;
      g_usleep (50 * 1000);
    }
  next = create_backup (f);
  g_assert_cmpstr (next, !=, name);
  wait_copy_done (f, next);
  copy = find_copy (f, name);
  g_assert_null (copy);
  g_assert_cmpuint (n_uploads_of (f, name), ==, 0);
  bucket = g_strdup_printf ("s3://%s/%s/", osi_test_rgw_get_bucket (rgw), f->prefix);
  listing = osi_test_rgw_s3cmd (rgw, "ls", "--recursive", bucket, NULL);
  g_assert_null (strstr (listing, name));
  g_assert_nonnull (strstr (listing, next));
}

/* A socket on 127.0.0.1 that listens but never accepts: a storage that
 * takes connections and requests and never answers (a gateway hung). The
 * kernel completes the connections; nothing is read nor written. */
static GSocket *
silent_storage (guint16 *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any_port, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_listen_backlog (socket, 16);
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

static void
set_flag (SoupMessage *msg,
          gpointer     user_data)
{
  *(gboolean *)user_data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *)data;
}

/* A server told to stop while the off-site retention deletes a copy from
 * a storage that does not answer: the deletion, in a thread of its own,
 * is cancelled with the rest, the prune is answered with the copy it
 * could not delete, and the server exits cleanly (status 0, which under
 * AddressSanitizer also means no leak nor use after free) instead of
 * waiting for the storage's timeout (60 s) or leaving the thread behind.
 * The copies are made on the gateway first, then the server is started
 * again on the silent storage with the same catalog. */
static void
test_stop_during_retention (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(GSocket) silent = NULL;
  g_autoptr(SoupMessage) prune = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_auto(GStrv) names = g_new0 (char *, 5);
  g_autofree char *url = NULL;
  g_autofree char *prune_url = NULL;
  JsonArray *remove;
  const char *reason;
  gboolean written = FALSE;
  guint16 port;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  for (guint i = 0; i < 4; i++)
    {
      names[i] = create_backup (f);
      wait_copy_done (f, names[i]);
    }
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, osi_test_server_free);

  silent = silent_storage (&port);
  url = g_strdup_printf ("http://127.0.0.1:%u/%s/%s", port, osi_test_rgw_get_bucket (rgw), f->prefix);
  f->server = osi_test_rgw_server_start (rgw, f->tmp, f->data, f->backups, TOKEN, url, NULL);
  g_free (f->url);
  f->url = g_strdup (f->server->url);
  r = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_last\": 3}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);

  /* The prune's deletion of the oldest copy hangs on the storage. Its
   * request is handled before the next one sent is answered. */
  prune_url = g_strconcat (f->url, "/api/rag/backup/prune", NULL);
  prune = soup_message_new ("POST", prune_url);
  soup_message_headers_replace (soup_message_get_request_headers (prune), "Authorization", "Bearer " TOKEN);
  soup_session_send_and_read_async (f->session, prune, G_PRIORITY_DEFAULT, NULL, osi_test_store_result, &result);
  g_signal_connect (prune, "wrote-headers", G_CALLBACK (set_flag), &written);
  osi_test_wait_for (flag_is_set, &written, "the prune's request written");
  r = request (f, "GET", "/api/health", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);

  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, osi_test_server_free);

  osi_test_wait_result (&result, "the prune's answer");
  body = soup_session_send_and_read_finish (f->session, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (prune), ==, SOUP_STATUS_OK);
  answer = osi_test_parse_json (g_bytes_get_data (body, NULL), (gssize)g_bytes_get_size (body));
  remove = json_object_get_array_member (json_object_get_object_member (json_node_get_object (answer), "offsite"),
                                         "remove");
  g_assert_cmpuint (json_array_get_length (remove), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (remove, 0), "name"), ==, names[0]);
  /* cancelled by the stop, not ended by the storage's timeout */
  reason = json_object_get_string_member_with_default (json_array_get_object_element (remove, 0), "error", NULL);
  g_assert_nonnull (reason);
  g_test_message ("the deletion of %s ended with: %s", names[0], reason);
  g_assert_nonnull (strcasestr (reason, "cancel"));
}

/* A copy replaced on the storage by other bytes: the fetch refuses it
 * (422) and leaves nothing in the folder, neither the name nor a
 * temporary file. */
static void
test_fetch_damaged (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autofree char *name = NULL;
  g_autofree char *query = NULL;
  g_autofree char *body = NULL;
  g_autofree char *key = NULL;
  g_autofree char *target = NULL;
  g_autofree char *other = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  name = create_backup (f);
  wait_copy_done (f, name);
  query = g_strdup_printf ("/api/rag/backup?filename=%s", name);
  r = request (f, "DELETE", query, NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);

  other = g_build_filename (f->tmp, "other.bin", NULL);
  osi_test_write_random_file (other, 1, 11);
  key = object_key (f, name);
  target = g_strdup_printf ("s3://%s/%s", osi_test_rgw_get_bucket (rgw), key);
  g_free (osi_test_rgw_s3cmd (rgw, "put", other, target, NULL));

  body = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", body);
  prefix = g_strdup_printf ("The off-site copy of “%s” is damaged and was not stored: ", name);
  g_assert_true (g_str_has_prefix (assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY, NULL), prefix));
  dir = g_dir_open (f->backups, 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_assert_cmpstr (entry, !=, name);
      g_assert_false (g_str_has_suffix (entry, ".part"));
    }
}

/* The catalog lost: at the next start the copies on the storage are
 * recorded again (done, no checksum); ?refresh=1 forgets a copy deleted
 * from the storage behind the server's back and records one put there. */
static void
test_refresh (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *name = NULL;
  g_autofree char *key = NULL;
  g_autofree char *target = NULL;
  g_autofree char *stray = NULL;
  g_autofree char *stray_target = NULL;
  const char *companions[] = { "", "-wal", "-shm" };
  gint64 deadline;

  if (!have_gateway ())
    return;
  start_server (f, TRUE);
  name = create_backup (f);
  wait_copy_done (f, name);
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, osi_test_server_free);
  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *file = g_strconcat (f->backups, "/.osi-catalog.sqlite", companions[i], NULL);

      g_unlink (file);
    }

  start_server (f, TRUE);
  /* the worker reads the storage as it starts */
  deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  while ((copy = find_copy (f, name)) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the copy of %s on the storage was not found again after %d s", name, OSI_TEST_WAIT_S);
      g_usleep (50 * 1000);
    }
  g_assert_cmpstr (offsite_state (copy), ==, "done");
  g_assert_false (json_object_has_member (copy, "sha256"));
  {
    g_autofree char *local = g_build_filename (f->backups, name, NULL);

    g_assert_cmpint (json_object_get_int_member (copy, "size"), ==, osi_test_file_size (local));
  }
  g_clear_pointer (&copy, json_object_unref);

  key = object_key (f, name);
  target = g_strdup_printf ("s3://%s/%s", osi_test_rgw_get_bucket (rgw), key);
  g_free (osi_test_rgw_s3cmd (rgw, "del", target, NULL));
  stray = g_build_filename (f->tmp, "stray.tar.zst", NULL);
  osi_test_write_random_file (stray, 1000, 3);
  stray_target = g_strdup_printf ("s3://%s/%s/%s/backup_20200101_000000.tar.zst", osi_test_rgw_get_bucket (rgw),
                                  f->prefix, g_get_host_name ());
  g_free (osi_test_rgw_s3cmd (rgw, "put", stray, stray_target, NULL));

  r = request (f, "GET", "/api/rag/backup/offsite?refresh=1", NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  g_assert_null (find_copy (f, name));
  copy = find_copy (f, "backup_20200101_000000.tar.zst");
  g_assert_nonnull (copy);
  g_assert_cmpstr (offsite_state (copy), ==, "done");
  g_assert_false (json_object_get_boolean_member (copy, "local"));
  g_assert_cmpint (json_object_get_int_member (copy, "size"), ==, osi_test_file_size (stray));
}

static gboolean
in_process_idle (gpointer data)
{
  return osi_server_is_idle (data);
}

static gboolean
task_arrived (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

/* A scheduled backup, made by a server of this process under a manual
 * clock, is queued and copied as any other: the server is not idle
 * until its copy is done. */
static void
test_scheduled (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GDateTime) start = g_date_time_new_utc (2026, 3, 1, 0, 0, 0);
  g_autoptr(GDateTime) later = g_date_time_new_utc (2026, 3, 1, 1, 0, 0);
  g_autoptr(OsiClock) clock = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiTestResponse) r = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = NULL;
  g_autofree char *access_key = NULL;
  g_autofree char *secret_key = NULL;
  OsiServerOptions options = { 0 };

  if (!have_gateway ())
    return;
  clock = osi_clock_new_manual (start);
  url = g_strdup_printf ("%s/%s", osi_test_rgw_get_url (rgw), f->prefix);
  g_assert_true (osi_s3_read_credentials (osi_test_rgw_get_credentials (rgw), &access_key, &secret_key, &error));
  options.data_dir = f->data;
  options.backup_dir = f->backups;
  options.token = (char *)TOKEN;
  options.max_upload = G_MAXUINT32;
  options.clock = clock;
  options.offsite_url = url;
  options.offsite_credentials = (char *)osi_test_rgw_get_credentials (rgw);
  options.offsite_access_key = access_key;
  options.offsite_secret_key = secret_key;
  f->in_process = osi_server_new (&options, &error);
  g_assert_no_error (error);
  g_assert_true (osi_server_listen (f->in_process, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  f->url = osi_server_get_url (f->in_process);
  osi_test_wait_for (in_process_idle, f->in_process, "the server's start");

  r = request (f, "PUT", "/api/rag/backup/policy",
               "{\"schedule\": {\"every\": \"daily\", \"at\": \"00:30\", \"time_zone\": \"UTC\"}}");
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  osi_clock_advance_to (clock, later);
  osi_test_wait_for (in_process_idle, f->in_process, "the scheduled backup and its copy");

  copy = find_copy (f, "backup_20260301_003000.tar.zst");
  g_assert_nonnull (copy);
  g_assert_cmpstr (json_object_get_string_member (copy, "kind"), ==, "scheduled");
  g_assert_cmpstr (offsite_state (copy), ==, "done");

  osi_server_shutdown_async (f->in_process, osi_test_store_result, &result);
  osi_test_wait_for (task_arrived, &result, "the server's shutdown");
  g_assert_true (osi_server_shutdown_finish (f->in_process, result, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  if (g_getenv ("OSI_BACKUP_TOKEN") != NULL)
    g_unsetenv ("OSI_BACKUP_TOKEN");
  rgw_dir = osi_test_make_tmpdir ();

  g_test_add ("/offsite/not-configured", Fixture, NULL, fixture_setup, test_not_configured, fixture_teardown);
  g_test_add ("/offsite/copy", Fixture, GUINT_TO_POINTER (12 << 20), fixture_setup, test_copy, fixture_teardown);
  g_test_add ("/offsite/kinds", Fixture, NULL, fixture_setup, test_kinds, fixture_teardown);
  g_test_add ("/offsite/scheduled", Fixture, NULL, fixture_setup, test_scheduled, fixture_teardown);
  g_test_add ("/offsite/policy", Fixture, NULL, fixture_setup, test_policy, fixture_teardown);
  g_test_add ("/offsite/fetch", Fixture, NULL, fixture_setup, test_fetch, fixture_teardown);
  g_test_add ("/offsite/fetch-damaged", Fixture, NULL, fixture_setup, test_fetch_damaged, fixture_teardown);
  g_test_add ("/offsite/refresh", Fixture, NULL, fixture_setup, test_refresh, fixture_teardown);
  g_test_add ("/offsite/retention", Fixture, NULL, fixture_setup, test_retention, fixture_teardown);
  g_test_add ("/offsite/delete-during-copy", Fixture, GUINT_TO_POINTER (64 << 20), fixture_setup,
              test_delete_during_copy, fixture_teardown);
  g_test_add ("/offsite/stop-during-retention", Fixture, NULL, fixture_setup, test_stop_during_retention,
              fixture_teardown);

  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  osi_test_remove_tmpdir (rgw_dir);
  g_free (rgw_dir);
  return status;
}
