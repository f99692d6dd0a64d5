/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-s3.h"
#include "osi-test-rgw.h"
#include "osi-test-http.h"
#include "osi-test-offsite.h"
#include "osi-test-support.h"

/* The off-site copies of docs/api.md §7 end to end: a real
 * osi-backup-server, out of process, copying to a real Ceph RADOS Gateway
 * from Debian 12 (tests/osi-test-rgw.c), one for the suite, each case
 * under a prefix of its own (--offsite-url …/BUCKET/CASE). s3cmd, a
 * reference client, reads back what the server wrote; the S3 layer
 * looks for multipart uploads left behind. The gateway stopped, the
 * server killed, keys refused, a bucket missing, the off-site retention,
 * a copy brought back and restored.
 *
 * Nothing is timed: every wait polls the server with a deadline that
 * only turns a hang into a failure saying what was awaited and what the
 * server said last. */

#define MiB (1024 * 1024)
#define TOKEN "offsite-test-token-41d7"
/* The longest wait for a copy to reach a state; copies take seconds. */
#define WAIT_S 180
/* Tries at catching a copy mid-way before the test says it cannot. */
#define CATCH_TRIES 3
#define MISSING_BUCKET "osi-no-such-bucket"

static OsiTestRgw *rgw;
static char *rgw_tmp;

/* One gateway for every case, started by the first: it takes seconds.
 * Its store holds the suite's copies (some 700 MiB). */
static gboolean
have_gateway (void)
{
  return osi_test_rgw_start_once (&rgw, rgw_tmp, 2048ULL * MiB);
}

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *url;          /* the --offsite-url */
  char          *credentials;  /* the --offsite-credentials */
  char          *host_prefix;  /* PREFIX/HOST/ on the gateway */
  OsiS3         *s3;           /* the test's own look at the gateway */
  OsiTestServer *server;
  SoupSession   *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 256 * 1024, 3);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_server_finish (f->server);
  g_clear_object (&f->session);
  g_clear_pointer (&f->s3, osi_s3_free);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->url);
  g_free (f->credentials);
  g_free (f->host_prefix);
}

/* The case's storage: the gateway's bucket (or another), its own prefix,
 * the gateway's keys. FALSE when there is no gateway (the case skipped). */
static gboolean
use_storage (Fixture    *f,
             const char *bucket,
             const char *prefix)
{
  g_autoptr(GError) error = NULL;

  if (!have_gateway ())
    return FALSE;
  f->url = g_strdup_printf ("%s/%s/%s", osi_test_rgw_get_endpoint (rgw),
                            bucket != NULL ? bucket : osi_test_rgw_get_bucket (rgw), prefix);
  f->credentials = g_strdup (osi_test_rgw_get_credentials (rgw));
  f->s3 = osi_s3_new (f->url, osi_test_rgw_get_access_key (rgw), osi_test_rgw_get_secret_key (rgw),
                      NULL, NULL, &error);
  g_assert_no_error (error);
  f->host_prefix = osi_s3_host_prefix (f->s3, g_get_host_name (), &error);
  g_assert_no_error (error);
  return TRUE;
}

/* The server (again, after a kill) over the fixture's folders, copying
 * to f->url with short retries. */
static void
start_server (Fixture *f)
{
  const char *args[] = { "--offsite-url", f->url, "--offsite-credentials", f->credentials,
                         "--offsite-retry-max", "2", NULL };

  osi_test_server_free (f->server);
  f->server = osi_test_server_start_full (f->tmp, f->data, f->backups, TOKEN, NULL, args);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */

/* The server is another process: a synchronous request is enough.
 * body: JSON sent as application/json, or NULL; bytes: sent as
 * application/octet-stream instead. */
static OsiTestResponse *
request_full (Fixture    *f,
              const char *method,
              const char *path_query,
              const char *body,
              GBytes     *bytes)
{
  g_autoptr(GBytes) json = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;

  if (json != NULL)
    return osi_test_request (f->session, FALSE, method, f->server->url, path_query, TOKEN, "application/json", json);
  return osi_test_request (f->session, FALSE, method, f->server->url, path_query, TOKEN,
                           "application/octet-stream", bytes);
}

static OsiTestResponse *
request (Fixture    *f,
         const char *method,
         const char *path_query,
         const char *body)
{
  return request_full (f, method, path_query, body, NULL);
}

static char *
json_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

/* POST /api/rag/backup: the new backup's name; *sha256 its digest. */
static char *
create_backup (Fixture  *f,
               char    **sha256)
{
  g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", NULL);
  JsonObject *backup;

  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  g_assert_nonnull (backup);
  if (sha256 != NULL)
    *sha256 = g_strdup (json_object_get_string_member (backup, "sha256"));
  return g_strdup (json_object_get_string_member (backup, "name"));
}

/* A data folder whose backup is about size bytes: the demo's knowledge
 * base and a file of random bytes, which zstd cannot shrink. */
static void
add_random_file (Fixture *f,
                 gsize    size,
                 guint32  seed)
{
  g_autofree char *path = g_build_filename (f->data, "data", "random.bin", NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  osi_test_write_random_file (path, size, seed);
}

/* The copy of name in GET /api/rag/backup/offsite (a new reference), or
 * NULL; *copies (may be NULL) the names listed, newest first. */
static JsonObject *
find_copy (Fixture     *f,
           const char  *name,
           GPtrArray  **copies)
{
  g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup/offsite", NULL);
  JsonObject *found = NULL;
  JsonArray *array;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  array = json_object_get_array_member (osi_test_response_object (r), "copies");
  g_assert_nonnull (array);
  if (copies != NULL)
    *copies = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *copy = json_array_get_object_element (array, i);
      const char *copy_name = json_object_get_string_member (copy, "name");

      if (copies != NULL)
        g_ptr_array_add (*copies, g_strdup (copy_name));
      if (found == NULL && g_strcmp0 (copy_name, name) == 0)
        found = json_object_ref (copy);
    }
  return found;
}

static const char *
copy_state (JsonObject *copy)
{
  JsonObject *offsite = json_object_get_object_member (copy, "offsite");

  g_assert_nonnull (offsite);
  return json_object_get_string_member (offsite, "state");
}

static const char *
copy_detail (JsonObject *copy)
{
  return json_object_get_string_member (json_object_get_object_member (copy, "offsite"), "detail");
}

/* Waits until the copy of name is in state; a copy that reaches done
 * or failed when another state is awaited fails the test at once. */
static JsonObject *
wait_state (Fixture    *f,
            const char *name,
            const char *state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  g_autofree char *last = NULL;

  for (;;)
    {
      g_autoptr(JsonObject) copy = find_copy (f, name, NULL);

      if (copy != NULL)
        {
          const char *now = copy_state (copy);

          if (g_strcmp0 (now, state) == 0)
            return g_steal_pointer (&copy);
          g_free (last);
          last = json_text (copy);
          if ((g_strcmp0 (now, "done") == 0 || g_strcmp0 (now, "failed") == 0))
            g_error ("the copy of %s became %s, not %s: %s", name, now, state, last);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("the copy of %s is not %s after %d s; last seen: %s", name, state, WAIT_S,
                 last != NULL ? last : "not listed");
      g_usleep (50 * 1000);
    }
}

/* Waits until the copy of name holds more than min bytes on the storage
 * and is still copying: TRUE, or FALSE when it was done before the test
 * saw it there. */
static gboolean
catch_mid_copy (Fixture    *f,
                const char *name,
                gint64      min,
                gint64     *copied)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) copy = find_copy (f, name, NULL);

      if (copy != NULL)
        {
          const char *state = copy_state (copy);
          gint64 size = json_object_get_int_member (copy, "size");

          *copied = json_object_get_int_member_with_default (copy, "copied", 0);
          if (g_strcmp0 (state, "copying") == 0 && *copied > min && *copied < size)
            return TRUE;
          if (g_strcmp0 (state, "done") == 0)
            return FALSE;
          if (g_strcmp0 (state, "failed") == 0)
            g_error ("the copy of %s failed: %s", name, copy_detail (copy));
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("the copy of %s was not seen under way within %d s", name, WAIT_S);
      g_usleep (5 * 1000);
    }
}

/* A new backup whose copy the test caught past its first part (more
 * than 9 MiB on the storage) and still under way: its name, *copied the
 * bytes seen copied. A copy done before it was seen: another backup, up
 * to CATCH_TRIES. */
static char *
create_caught_mid_copy (Fixture *f,
                        gint64  *copied)
{
  for (guint i = 0;; i++)
    {
      g_autofree char *name = create_backup (f, NULL);

      if (catch_mid_copy (f, name, 9 * MiB, copied))
        return g_steal_pointer (&name);
      if (i + 1 == CATCH_TRIES)
        g_error ("the copy ended before the test saw it under way, %u times", CATCH_TRIES);
      g_test_message ("%s was copied before the test saw it under way; another", name);
    }
}

/* ------------------------------------------------------------------------ */
/* The storage, as other clients see it                                     */

static char *
s3_uri (const char *bucket,
        const char *key)
{
  return g_strdup_printf ("s3://%s/%s", bucket, key);
}

/* s3cmd reads the copy of name back: the same bytes as the local file
 * (local_path, or the backup folder's name). */
static void
assert_copy_identical (Fixture    *f,
                       const char *name,
                       const char *local_path)
{
  g_autofree char *key = g_strconcat (f->host_prefix, name, NULL);
  g_autofree char *uri = s3_uri (osi_s3_get_bucket (f->s3), key);
  g_autofree char *got = g_build_filename (f->tmp, "s3cmd-got", NULL);
  g_autofree char *local = local_path != NULL ? g_strdup (local_path) : g_build_filename (f->backups, name, NULL);
  g_autofree char *local_sum = NULL;
  g_autofree char *got_sum = NULL;

  g_free (osi_test_rgw_s3cmd (rgw, "get", "--force", uri, got, NULL));
  local_sum = osi_test_file_sha256 (local);
  got_sum = osi_test_file_sha256 (got);
  g_assert_cmpint (osi_test_file_size (got), ==, osi_test_file_size (local));
  g_assert_cmpstr (got_sum, ==, local_sum);
  g_assert_cmpint (g_unlink (got), ==, 0);
}

/* The keys under the case's host prefix, as s3cmd lists them, sorted. */
static GPtrArray *
s3cmd_keys (Fixture *f)
{
  g_autofree char *uri = s3_uri (osi_s3_get_bucket (f->s3), f->host_prefix);
  g_autofree char *out = osi_test_rgw_s3cmd (rgw, "ls", uri, NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autofree char *start = g_strdup_printf ("s3://%s/%s", osi_s3_get_bucket (f->s3), f->host_prefix);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  /* "DATE TIME SIZE s3://BUCKET/KEY" */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *uri_at = strstr (lines[i], "s3://");

      if (uri_at != NULL && g_str_has_prefix (uri_at, start))
        g_ptr_array_add (keys, g_strdup (uri_at + strlen (start)));
    }
  g_ptr_array_sort (keys, osi_test_compare_strings);
  return keys;
}

/* The multipart uploads under the case's host prefix, by the S3 layer. */
static guint
count_uploads (Fixture *f)
{
  return osi_test_offsite_count_uploads (f->s3, f->host_prefix, NULL);
}

/* The part uploads of key the gateway answered 200, from its log: how
 * many times each part number was sent whole; *n_parts the highest. */
static GHashTable *
parts_received (Fixture    *f,
                const char *key,
                guint      *n_parts)
{
  g_autofree char *log = NULL;
  g_autofree char *escaped = g_uri_escape_string (key, "/", FALSE);
  g_autofree char *needle = g_strdup_printf ("\"PUT /%s/%s?", osi_s3_get_bucket (f->s3), escaped);
  g_auto(GStrv) lines = NULL;
  GHashTable *counts = g_hash_table_new (NULL, NULL);

  g_assert_true (g_file_get_contents (osi_test_rgw_get_log (rgw), &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  *n_parts = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], needle);
      const char *number;
      const char *end;
      guint part;

      if (at == NULL || (number = strstr (at, "partNumber=")) == NULL
          || (end = strchr (at + 1, '"')) == NULL || !g_str_has_prefix (end, "\" 200 "))
        continue;
      part = (guint)g_ascii_strtoull (number + strlen ("partNumber="), NULL, 10);
      g_hash_table_insert (counts, GUINT_TO_POINTER (part),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (part))) + 1));
      *n_parts = MAX (*n_parts, part);
    }
  return counts;
}

/* Each part of the copy of name was received whole once: the upload
 * went on where it stopped, nothing sent again. */
static void
assert_parts_sent_once (Fixture    *f,
                        const char *name,
                        gint64      size)
{
  g_autofree char *key = g_strconcat (f->host_prefix, name, NULL);
  g_autoptr(GHashTable) counts = NULL;
  guint n_parts = 0;

  counts = parts_received (f, key, &n_parts);
  g_assert_cmpuint (n_parts, ==, (size + 8 * MiB - 1) / (8 * MiB));
  for (guint part = 1; part <= n_parts; part++)
    {
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (part)));

      if (count != 1)
        g_error ("part %u of %s was received whole %u times", part, key, count);
    }
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                    */

/* A 200 MiB backup copied multipart on its own after the create; s3cmd
 * reads back the same bytes. */
static void
test_copy_large (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) health = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *features = NULL;
  g_autoptr(OsiTestResponse) list = NULL;
  g_auto(OsiS3Head) object = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;
  JsonObject *offsite;
  guint n_parts = 0;
  g_autoptr(GHashTable) parts = NULL;

  if (!use_storage (f, NULL, "large"))
    return;
  add_random_file (f, 200 * MiB, 11);
  start_server (f);

  health = request (f, "GET", "/api/health", NULL);
  osi_test_response_assert_status (health, SOUP_STATUS_OK);
  features = json_text (osi_test_response_object (health));
  g_assert_nonnull (strstr (features, "\"offsite\""));

  name = create_backup (f, &sha256);
  path = g_build_filename (f->backups, name, NULL);
  g_assert_cmpint (osi_test_file_size (path), >, 200 * MiB);
  copy = wait_state (f, name, "done");
  g_assert_cmpint (json_object_get_int_member (copy, "copied"), ==, json_object_get_int_member (copy, "size"));
  g_assert_cmpstr (json_object_get_string_member (copy, "sha256"), ==, sha256);
  g_assert_true (json_object_get_boolean_member (copy, "local"));
  g_assert_cmpstr (json_object_get_string_member (copy, "kind"), ==, "manual");
  g_assert_cmpstr (copy_detail (copy), ==, "");

  /* The list entry carries the same state. */
  list = request (f, "GET", "/api/rag/backup", NULL);
  osi_test_response_assert_status (list, SOUP_STATUS_OK);
  offsite = json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (osi_test_response_object (list),
                                                                                                       "backups"), 0),
                                           "offsite");
  g_assert_nonnull (offsite);
  g_assert_cmpstr (json_object_get_string_member (offsite, "state"), ==, "done");

  /* The object: the backup's SHA-256 as its metadata, sent in parts. */
  key = g_strconcat (f->host_prefix, name, NULL);
  g_assert_true (osi_s3_head_object (f->s3, key, &object, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (object.sha256, ==, sha256);
  parts = parts_received (f, key, &n_parts);
  g_assert_cmpuint (n_parts, >=, 25);
  assert_copy_identical (f, name, NULL);
  g_assert_cmpuint (count_uploads (f), ==, 0);
}

/* A 128 MiB backup: 16 parts, time to catch its copy mid-way. */
#define RESUMED_SIZE (128 * MiB)

/* radosgw killed mid-copy: the copy stays copying and says why, then goes
 * on when the gateway is back, and completes with each part sent whole
 * once. */
static void
test_gateway_stopped (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autoptr(JsonObject) copy = NULL;
  gint64 copied = 0;
  guint waiting = 0;
  gint64 deadline;

  if (!use_storage (f, NULL, "gateway-stopped"))
    return;
  add_random_file (f, RESUMED_SIZE, 12);
  start_server (f);

  /* Past the first part, so that a copy started over would show. */
  name = create_caught_mid_copy (f, &copied);
  osi_test_rgw_stop_gateway (rgw);
  g_test_message ("gateway stopped with %" G_GINT64_FORMAT " bytes of %s copied", copied, name);

  /* While it is down: copying, and why. Several polls, across retries. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (waiting < 5)
    {
      g_autoptr(JsonObject) now = find_copy (f, name, NULL);

      g_assert_nonnull (now);
      if (g_strcmp0 (copy_state (now), "copying") != 0)
        g_error ("the copy of %s is %s while the gateway is down", name, copy_state (now));
      if (copy_detail (now)[0] != '\0')
        {
          if (waiting == 0)
            g_test_message ("while the gateway is down: %s", copy_detail (now));
          waiting++;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("the copy of %s never said why it waits", name);
      g_usleep (200 * 1000);
    }

  osi_test_rgw_start_gateway (rgw);
  copy = wait_state (f, name, "done");
  g_assert_cmpstr (copy_detail (copy), ==, "");
  assert_copy_identical (f, name, NULL);
  assert_parts_sent_once (f, name, json_object_get_int_member (copy, "size"));
  g_assert_cmpuint (count_uploads (f), ==, 0);
}

/* The server killed mid-copy and started again: the copy goes on with
 * its upload and completes; an upload nobody owns (as a copy's that the
 * catalog lost would be) is aborted at start; no upload is left. */
static void
test_server_killed (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *orphan_key = NULL;
  g_autofree char *orphan_id = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(GError) error = NULL;
  gint64 copied = 0;

  if (!use_storage (f, NULL, "server-killed"))
    return;
  add_random_file (f, RESUMED_SIZE, 13);
  start_server (f);

  name = create_caught_mid_copy (f, &copied);
  osi_test_server_kill (f->server);
  g_test_message ("server killed with %" G_GINT64_FORMAT " bytes of %s copied", copied, name);
  g_assert_cmpuint (count_uploads (f), ==, 1);

  orphan_key = g_strconcat (f->host_prefix, "backup_20200101_000000.tar.zst", NULL);
  orphan_id = osi_s3_create_multipart_upload (f->s3, orphan_key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_uploads (f), ==, 2);

  start_server (f);
  copy = wait_state (f, name, "done");
  assert_copy_identical (f, name, NULL);
  assert_parts_sent_once (f, name, json_object_get_int_member (copy, "size"));
  g_assert_cmpuint (count_uploads (f), ==, 0);
  /* s3cmd sees none either. */
  uri = g_strdup_printf ("s3://%s", osi_s3_get_bucket (f->s3));
  out = osi_test_rgw_s3cmd (rgw, "multipart", uri, NULL);
  g_assert_null (strstr (out, f->host_prefix));
}

/* The local backup as it was made: its bytes, and its download. */
static void
assert_backup_untouched (Fixture    *f,
                         const char *name,
                         const char *sha256)
{
  g_autofree char *path = g_build_filename (f->backups, name, NULL);
  g_autofree char *query = g_strdup_printf ("/api/rag/backup?filename=%s", name);
  g_autoptr(OsiTestResponse) r = NULL;
  g_autofree char *got = NULL;
  g_autofree char *on_disk = osi_test_file_sha256 (path);

  g_assert_cmpstr (on_disk, ==, sha256);
  r = request (f, "GET", query, NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  got = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, r->body);
  g_assert_cmpstr (got, ==, sha256);
}

/* Keys the gateway refuses: the server starts, the create succeeds, the
 * copy fails saying so (never the secret), the backup stays as it was. */
static void
test_wrong_credentials (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  const char *detail;

  if (!use_storage (f, NULL, "wrong-credentials"))
    return;
  g_free (f->credentials);
  f->credentials = g_build_filename (f->tmp, "wrong-credentials", NULL);
  text = g_strdup_printf ("access_key = %s\nsecret_key = NotTheGatewaysSecret0123456789abcdefghij\n",
                          osi_test_rgw_get_access_key (rgw));
  g_assert_true (g_file_set_contents_full (f->credentials, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
  start_server (f);

  name = create_backup (f, &sha256);
  copy = wait_state (f, name, "failed");
  detail = copy_detail (copy);
  g_test_message ("keys refused: %s", detail);
  g_assert_cmpuint (strlen (detail), >, 0);
  g_assert_null (strstr (detail, "NotTheGatewaysSecret"));
  assert_backup_untouched (f, name, sha256);
  keys = s3cmd_keys (f);
  g_assert_cmpuint (keys->len, ==, 0);
}

/* A bucket that does not exist: failed, the detail naming it. */
static void
test_missing_bucket (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(JsonObject) copy = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;
  const char *detail;

  if (!use_storage (f, MISSING_BUCKET, "missing-bucket"))
    return;
  start_server (f);

  name = create_backup (f, &sha256);
  copy = wait_state (f, name, "failed");
  detail = copy_detail (copy);
  g_test_message ("bucket missing: %s", detail);
  g_assert_nonnull (strstr (detail, MISSING_BUCKET));
  assert_backup_untouched (f, name, sha256);
}

static gboolean
same_names (GPtrArray          *names,
            const char * const *expected)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GPtrArray) want = g_ptr_array_new ();

  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (names, i));
  for (guint i = 0; expected[i] != NULL; i++)
    g_ptr_array_add (want, (gpointer)expected[i]);
  if (sorted->len != want->len)
    return FALSE;
  g_ptr_array_sort (sorted, osi_test_compare_strings);
  g_ptr_array_sort (want, osi_test_compare_strings);
  for (guint i = 0; i < sorted->len; i++)
    if (strcmp (g_ptr_array_index (sorted, i), g_ptr_array_index (want, i)) != 0)
      return FALSE;
  return TRUE;
}

static char *
join_names (GPtrArray *names)
{
  g_autoptr(GPtrArray) copy = g_ptr_array_new ();

  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (copy, g_ptr_array_index (names, i));
  g_ptr_array_add (copy, NULL);
  return g_strjoinv (", ", (char **)copy->pdata);
}

/* The names of an answer's entries (prune's keep or remove). */
static GPtrArray *
entry_names (JsonArray *entries)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    g_ptr_array_add (names, g_strdup (json_object_get_string_member (json_array_get_object_element (entries, i),
                                                                     "name")));
  return names;
}

/* The reasons of name's entry among a prune's keep, as JSON text. */
static char *
keep_reasons (JsonArray  *keep,
              const char *name)
{
  for (guint i = 0; i < json_array_get_length (keep); i++)
    {
      JsonObject *entry = json_array_get_object_element (keep, i);

      if (g_strcmp0 (json_object_get_string_member (entry, "name"), name) == 0)
        {
          g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

          json_node_set_array (node, json_object_get_array_member (entry, "reasons"));
          return json_to_string (node, FALSE);
        }
    }
  g_error ("the prune does not keep %s off-site", name);
}

/* Off-site retention keep_last 3 over six copies, the oldest protected:
 * after each copy the surplus goes; the protected one and the 3 newest
 * stay on the storage, and a prune keeps them. */
static void
test_prune_keeps_protected (Fixture       *f,
                            gconstpointer  user_data)
{
  static const char *const names[] = {
    "backup_20250101_120000.tar.zst", "backup_20250102_120000.tar.zst", "backup_20250103_120000.tar.zst",
    "backup_20250104_120000.tar.zst", "backup_20250105_120000.tar.zst", "backup_20250106_120000.tar.zst",
  };
  static const char *const kept[] = { "backup_20250101_120000.tar.zst", "backup_20250104_120000.tar.zst",
                                      "backup_20250105_120000.tar.zst", "backup_20250106_120000.tar.zst", NULL };
  g_autofree char *archive = g_build_filename (f->tmp, "archive.tar.zst", NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(OsiTestResponse) policy = NULL;
  g_autoptr(OsiTestResponse) prune = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GPtrArray) keep = NULL;
  g_autoptr(GPtrArray) remove = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last = NULL;
  g_autofree char *reasons = NULL;
  JsonObject *offsite;
  gint64 deadline;

  if (!use_storage (f, NULL, "prune"))
    return;
  start_server (f);
  policy = request (f, "PUT", "/api/rag/backup/policy", "{\"offsite\": {\"keep_last\": 3}}");
  osi_test_response_assert_status (policy, SOUP_STATUS_OK);

  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_ZSTD, NULL);
  mapped = g_mapped_file_new (archive, FALSE, &error);
  g_assert_no_error (error);
  bytes = g_mapped_file_get_bytes (mapped);
  /* Received oldest first, so that their dates rank them as their names;
   * the oldest protected before the others come. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *query = g_strdup_printf ("/api/rag/backup/upload?filename=%s", names[i]);
      g_autoptr(OsiTestResponse) r = request_full (f, "POST", query, NULL, bytes);

      osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
      if (i == 0)
        {
          g_autofree char *patch = g_strdup_printf ("/api/rag/backup?filename=%s", names[0]);
          g_autoptr(OsiTestResponse) p = request (f, "PATCH", patch, "{\"protected\": true}");

          osi_test_response_assert_status (p, SOUP_STATUS_OK);
        }
    }

  /* Until the copies are done and the retention went over them. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GPtrArray) copies = NULL;
      g_autoptr(JsonObject) newest = find_copy (f, names[5], &copies);
      gboolean settled = newest != NULL && g_strcmp0 (copy_state (newest), "done") == 0;

      for (guint i = 0; settled && i < copies->len; i++)
        {
          g_autoptr(JsonObject) copy = find_copy (f, g_ptr_array_index (copies, i), NULL);

          settled = copy != NULL && g_strcmp0 (copy_state (copy), "done") == 0;
        }
      if (settled && same_names (copies, kept))
        break;
      g_free (last);
      last = join_names (copies);
      if (g_get_monotonic_time () > deadline)
        g_error ("the off-site copies are not the protected one and the 3 newest after %d s: %s", WAIT_S, last);
      g_usleep (50 * 1000);
    }
  keys = s3cmd_keys (f);
  if (!same_names (keys, kept))
    g_error ("on the storage: %s", join_names (keys));

  /* A prune of its own keeps the same, for the same reasons. */
  prune = request (f, "POST", "/api/rag/backup/prune", NULL);
  osi_test_response_assert_status (prune, SOUP_STATUS_OK);
  offsite = json_object_get_object_member (osi_test_response_object (prune), "offsite");
  g_assert_nonnull (offsite);
  keep = entry_names (json_object_get_array_member (offsite, "keep"));
  remove = entry_names (json_object_get_array_member (offsite, "remove"));
  if (!same_names (keep, kept))
    g_error ("the prune keeps off-site: %s", join_names (keep));
  g_assert_cmpuint (remove->len, ==, 0);
  reasons = keep_reasons (json_object_get_array_member (offsite, "keep"), names[0]);
  g_assert_nonnull (strstr (reasons, "\"protected\""));
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = s3cmd_keys (f);
  if (!same_names (keys, kept))
    g_error ("on the storage after the prune: %s", join_names (keys));
}

/* A copy whose local file was deleted, brought back, then restored: the
 * data folder holds again what that backup held. */
static void
test_fetch_restore (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *ref_parent = g_build_filename (f->tmp, "ref", NULL);
  g_autofree char *reference = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *query = NULL;
  g_autofree char *body = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *why = NULL;
  g_autofree char *path = NULL;
  g_autofree char *fetched = NULL;
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(JsonObject) gone = NULL;
  g_autoptr(OsiTestResponse) r = NULL;
  JsonObject *backup;

  if (!use_storage (f, NULL, "fetch"))
    return;
  g_assert_cmpint (g_mkdir (ref_parent, 0700), ==, 0);
  reference = osi_test_generate_data (ref_parent, 256 * 1024, 3);
  start_server (f);

  name = create_backup (f, &sha256);
  copy = wait_state (f, name, "done");

  query = g_strdup_printf ("/api/rag/backup?filename=%s", name);
  r = request (f, "DELETE", query, NULL);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  g_clear_pointer (&r, osi_test_response_free);
  path = g_build_filename (f->backups, name, NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  gone = find_copy (f, name, NULL);
  g_assert_nonnull (gone);
  g_assert_false (json_object_get_boolean_member (gone, "local"));
  g_assert_cmpstr (copy_state (gone), ==, "done");

  /* The data moves on. */
  changed = g_build_filename (f->data, "config", "changed.json", NULL);
  g_assert_true (g_file_set_contents (changed, "{\"after\": true}", -1, NULL));
  g_assert_false (osi_test_trees_equal (f->data, reference, &why));
  g_clear_pointer (&why, g_free);

  body = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", body);
  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  g_assert_cmpstr (json_object_get_string_member (backup, "name"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (backup, "sha256"), ==, sha256);
  fetched = osi_test_file_sha256 (path);
  g_assert_cmpstr (fetched, ==, sha256);
  g_clear_pointer (&r, osi_test_response_free);

  /* Fetched twice: it is there already. */
  r = request (f, "POST", "/api/rag/backup/offsite/fetch", body);
  osi_test_response_assert_status (r, SOUP_STATUS_CONFLICT);
  g_clear_pointer (&r, osi_test_response_free);

  r = request (f, "POST", "/api/rag/backup/restore", body);
  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  if (!osi_test_trees_equal (f->data, reference, &why))
    g_error ("the data restored from the fetched backup differs: %s", why);
  osi_test_server_wait_listed (f->server, json_object_get_string_member (osi_test_response_object (r), "safety_backup"), "safety");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  rgw_tmp = osi_test_make_tmpdir ();

  g_test_add ("/offsite/copy-large", Fixture, NULL, fixture_setup, test_copy_large, fixture_teardown);
  g_test_add ("/offsite/gateway-stopped", Fixture, NULL, fixture_setup, test_gateway_stopped, fixture_teardown);
  g_test_add ("/offsite/server-killed", Fixture, NULL, fixture_setup, test_server_killed, fixture_teardown);
  g_test_add ("/offsite/wrong-credentials", Fixture, NULL, fixture_setup, test_wrong_credentials, fixture_teardown);
  g_test_add ("/offsite/missing-bucket", Fixture, NULL, fixture_setup, test_missing_bucket, fixture_teardown);
  g_test_add ("/offsite/prune-keeps-protected", Fixture, NULL, fixture_setup, test_prune_keeps_protected,
              fixture_teardown);
  g_test_add ("/offsite/fetch-restore", Fixture, NULL, fixture_setup, test_fetch_restore, fixture_teardown);

  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  osi_test_remove_tmpdir (rgw_tmp);
  g_free (rgw_tmp);
  return status;
}
