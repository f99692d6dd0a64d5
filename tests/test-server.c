/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <utime.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-archive.h"
#include "osi-diff.h"
#include "osi-sha256.h"
#include "osi-swap.h"
#include "osi-test-http.h"
#include "osi-test-support.h"

/* osi-backup-server, the real binary, on 127.0.0.1 port 0, driven with raw
 * HTTP requests through SoupSession. */

#define TOKEN "server-test-token-4f1d"
#define MIB   (1024 * 1024)

typedef struct
{
  char          *tmp;
  char          *data;
  char          *reference;   /* the same content as data at the start */
  char          *other;       /* other data (seed 2) */
  char          *backups;
  OsiTestServer *server;
  SoupSession   *session;
} Fixture;

/* user_data: the size of the data in MiB, 0 for 1 MiB */
static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  guint64 size = (GPOINTER_TO_UINT (user_data) ? GPOINTER_TO_UINT (user_data) : 1) * (guint64)MIB;
  g_autofree char *ref_parent = NULL;
  g_autofree char *other_parent = NULL;

  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, size, 1);
  ref_parent = g_build_filename (f->tmp, "ref", NULL);
  g_assert_cmpint (g_mkdir (ref_parent, 0700), ==, 0);
  f->reference = osi_test_generate_data (ref_parent, size, 1);
  other_parent = g_build_filename (f->tmp, "other", NULL);
  g_assert_cmpint (g_mkdir (other_parent, 0700), ==, 0);
  f->other = osi_test_generate_data (other_parent, size, 2);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  f->session = soup_session_new ();
  if (g_getenv ("OSI_BACKUP_TOKEN") != NULL)
    g_unsetenv ("OSI_BACKUP_TOKEN");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_server_finish (f->server);
  g_clear_object (&f->session);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->reference);
  g_free (f->other);
  g_free (f->backups);
}

static void
start (Fixture    *f,
       const char *extra1,
       const char *extra2)
{
  g_assert_null (f->server);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, extra1, extra2, NULL);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */

typedef enum
{
  AUTH_GOOD,
  AUTH_NONE,
  AUTH_WRONG,
  AUTH_BASIC,
  AUTH_EMPTY,
} Auth;

static SoupMessage *
new_message (Fixture    *f,
             const char *method,
             const char *path_query,
             Auth        auth)
{
  g_autofree char *url = g_strconcat (f->server->url, path_query, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  switch (auth)
    {
    case AUTH_GOOD:
      soup_message_headers_replace (headers, "Authorization", "Bearer " TOKEN);
      break;
    case AUTH_WRONG:
      soup_message_headers_replace (headers, "Authorization", "Bearer " TOKEN "x");
      break;
    case AUTH_BASIC:
      soup_message_headers_replace (headers, "Authorization", "Basic dXNlcjp" TOKEN);
      break;
    case AUTH_EMPTY:
      soup_message_headers_replace (headers, "Authorization", "Bearer ");
      break;
    case AUTH_NONE:
    default:
      break;
    }
  return msg;
}

static OsiTestResponse *
request (Fixture    *f,
         const char *method,
         const char *path_query,
         Auth        auth,
         const char *body,
         gssize      body_len)
{
  g_autoptr(SoupMessage) msg = new_message (f, method, path_query, auth);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, body_len >= 0 ? (gsize)body_len : strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/octet-stream", bytes);
    }
  return osi_test_send (f->session, msg, FALSE);
}

static OsiTestResponse *
get (Fixture    *f,
     const char *path_query)
{
  return request (f, "GET", path_query, AUTH_GOOD, NULL, 0);
}

static const char *
string_member (OsiTestResponse *r,
               const char      *name)
{
  JsonObject *object = osi_test_response_object (r);
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

/* Every error is {"detail": "..."}. */
static void
assert_error (OsiTestResponse *r,
              guint            status)
{
  if (r->status != status)
    g_error ("expected %u, got %u: %.*s", status, r->status,
             (int)g_bytes_get_size (r->body), (const char *)g_bytes_get_data (r->body, NULL));
  g_assert_cmpuint (strlen (string_member (r, "detail")), >, 0);
}

static char *
query_for (const char *path,
           const char *encoded_name)
{
  return g_strconcat (path, "?filename=", encoded_name, NULL);
}

static char *
restore_body (const char *name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backupFile");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static OsiTestResponse *
restore (Fixture    *f,
         const char *name)
{
  g_autofree char *body = restore_body (name);
  g_autoptr(SoupMessage) msg = new_message (f, "POST", "/api/rag/backup/restore", AUTH_GOOD);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  return osi_test_send (f->session, msg, FALSE);
}

typedef struct
{
  SoupMessage *msg;
  GBytes      *body;
  GError      *error;
  guint        status;
  gboolean     done;
} AsyncCall;

static void
async_call_free (AsyncCall *call)
{
  g_clear_object (&call->msg);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_error (&call->error);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsyncCall, async_call_free)

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncCall *call = user_data;

  call->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &call->error);
  call->status = soup_message_get_status (call->msg);
  call->done = TRUE;
}

static AsyncCall *
send_async (Fixture     *f,
            SoupMessage *msg)
{
  AsyncCall *call = g_new0 (AsyncCall, 1);

  call->msg = msg;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, async_done, call);
  return call;
}

static void
async_wait (AsyncCall *call)
{
  while (!call->done)
    g_main_context_iteration (NULL, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

static char *
digest_header_for (const char *hex)
{
  guint8 raw[OSI_SHA256_LEN];
  g_autofree char *b64 = NULL;

  for (guint i = 0; i < OSI_SHA256_LEN; i++)
    raw[i] = (guint8)(g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));
  b64 = g_base64_encode (raw, sizeof raw);
  return g_strdup_printf ("sha-256=:%s:", b64);
}

static char *
backup_file (Fixture    *f,
             const char *name)
{
  return g_build_filename (f->backups, name, NULL);
}

/* An archive of other data (seed 2), written straight into the backup
 * folder, as a backup copied there by hand would be. */
static void
put_archive (Fixture    *f,
             const char *data_dir,
             const char *name)
{
  g_autofree char *path = backup_file (f, name);

  osi_test_make_archive (data_dir, path, OSI_COMPRESSION_ZSTD, NULL);
}

static GBytes *
tampered_copy (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  contents[len / 2] ^= 0x5a;
  return g_bytes_new_take (contents, len);
}

/* Nothing hidden but sidecars of existing backups and the catalog
 * (docs/api.md §8.4). */
static void
assert_no_leftovers (Fixture *f)
{
  GDir *dir = g_dir_open (f->backups, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] != '.')
        continue;
      if (strcmp (name, ".osi-catalog.sqlite") == 0 || strcmp (name, ".osi-catalog.sqlite-wal") == 0 ||
          strcmp (name, ".osi-catalog.sqlite-shm") == 0)
        continue;
      if (g_str_has_suffix (name, ".sha256"))
        {
          g_autofree char *backup = g_strndup (name + 1, strlen (name) - 1 - strlen (".sha256"));
          g_autofree char *path = backup_file (f, backup);

          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            g_error ("orphan sidecar %s", name);
          continue;
        }
      g_error ("leftover %s in the backup folder", name);
    }
  g_dir_close (dir);

  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (strstr (name, ".osi-staging.") != NULL || strstr (name, ".osi-swap") != NULL ||
          strstr (name, ".osi-retired.") != NULL)
        g_error ("leftover %s beside the data", name);
    }
  g_dir_close (dir);
}

static guint
count_visible (Fixture *f)
{
  GDir *dir = g_dir_open (f->backups, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      n++;
  g_dir_close (dir);
  return n;
}

static void
assert_data_is (Fixture    *f,
                const char *expected)
{
  g_autofree char *why = NULL;

  if (!osi_test_trees_equal (f->data, expected, &why))
    g_error ("the data differs from %s: %s", expected, why);
}

static JsonArray *
list_backups (Fixture          *f,
              OsiTestResponse **out)
{
  OsiTestResponse *r = get (f, "/api/rag/backup");
  JsonObject *object;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  object = osi_test_response_object (r);
  g_assert_true (json_object_has_member (object, "message"));
  *out = r;
  return json_object_get_array_member (object, "backups");
}

static char *
create_backup (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", AUTH_GOOD, NULL, 0);
  JsonObject *backup;

  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  g_assert_cmpstr (string_member (r, "status"), ==, "success");
  g_assert_nonnull (string_member (r, "message"));
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  g_assert_nonnull (backup);
  return g_strdup (json_object_get_string_member (backup, "name"));
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */

static void
test_health (Fixture       *f,
             gconstpointer  user_data)
{
  start (f, NULL, NULL);

  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/health", AUTH_NONE, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "status"), ==, "ok");
    g_assert_cmpstr (string_member (r, "version"), ==, VERSION);
    g_assert_false (json_object_has_member (osi_test_response_object (r), "free_bytes"));
    g_assert_false (json_object_has_member (osi_test_response_object (r), "backup_count"));
    /* docs/api.md §3.1: what it offers beyond the four base actions. */
    {
      JsonArray *features = json_object_get_array_member (osi_test_response_object (r), "features");
      static const char * const offered[] = { "verify", "diff", "upload", "range", "digest", "policy" };

      g_assert_nonnull (features);
      g_assert_cmpuint (json_array_get_length (features), ==, G_N_ELEMENTS (offered));
      for (guint i = 0; i < G_N_ELEMENTS (offered); i++)
        g_assert_cmpstr (json_array_get_string_element (features, i), ==, offered[i]);
    }
  }
  /* Where the deployed OSI backend answers it: the same answer. */
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/health", AUTH_NONE, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "status"), ==, "ok");
    g_assert_true (json_object_has_member (osi_test_response_object (r), "features"));
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/health", AUTH_WRONG, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_false (json_object_has_member (osi_test_response_object (r), "free_bytes"));
  }

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/health", AUTH_GOOD, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "status"), ==, "ok");
    g_assert_cmpint (json_object_get_int_member (osi_test_response_object (r), "free_bytes"), >, 0);
    g_assert_cmpint (json_object_get_int_member (osi_test_response_object (r), "backup_count"), ==, 1);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/health", AUTH_GOOD, NULL, 0);

    assert_error (r, SOUP_STATUS_METHOD_NOT_ALLOWED);
  }
}

static void
test_auth_required (Fixture       *f,
                    gconstpointer  user_data)
{
  static const struct
  {
    const char *method;
    const char *path;
    const char *body;
  } endpoints[] = {
    { "GET", "/api/rag/backup", NULL },
    { "GET", "/api/rag/backup?filename=keep.tar.zst", NULL },
    { "HEAD", "/api/rag/backup?filename=keep.tar.zst", NULL },
    { "POST", "/api/rag/backup", NULL },
    { "POST", "/api/rag/backup/restore", "{\"backupFile\": \"keep.tar.zst\"}" },
    { "DELETE", "/api/rag/backup?filename=keep.tar.zst", NULL },
    { "POST", "/api/rag/backup/upload?filename=new.tar.zst", "some bytes" },
    { "GET", "/api/rag/backup/verify?filename=keep.tar.zst", NULL },
    { "GET", "/api/rag/backup/diff?filename=keep.tar.zst", NULL },
    { "GET", "/api/unknown", NULL },
    { "PUT", "/api/rag/backup", NULL },
  };
  static const Auth bad[] = { AUTH_NONE, AUTH_WRONG, AUTH_BASIC, AUTH_EMPTY };
  g_autofree char *keep = backup_file (f, "keep.tar.zst");
  g_autofree char *sha_before = NULL;

  put_archive (f, f->other, "keep.tar.zst");
  sha_before = osi_test_file_sha256 (keep);
  start (f, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    for (guint j = 0; j < G_N_ELEMENTS (bad); j++)
      {
        g_autoptr(OsiTestResponse) r = request (f, endpoints[i].method, endpoints[i].path, bad[j],
                                         endpoints[i].body, -1);
        const char *challenge = soup_message_headers_get_one (r->headers, "WWW-Authenticate");

        if (r->status != SOUP_STATUS_UNAUTHORIZED)
          g_error ("%s %s with auth %u: %u", endpoints[i].method, endpoints[i].path, bad[j], r->status);
        g_assert_nonnull (challenge);
        g_assert_true (g_str_has_prefix (challenge, "Bearer"));
        if (g_strcmp0 (endpoints[i].method, "HEAD") != 0)
          assert_error (r, SOUP_STATUS_UNAUTHORIZED);
      }

  /* nothing was done */
  g_assert_cmpuint (count_visible (f), ==, 1);
  {
    g_autofree char *sha_after = osi_test_file_sha256 (keep);
    g_assert_cmpstr (sha_after, ==, sha_before);
  }
  assert_data_is (f, f->reference);
  assert_no_leftovers (f);
}

static void
test_create_list_download (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autoptr(GRegex) pattern = g_regex_new ("^backup_\\d{8}_\\d{6}(_\\d+)?\\.tar\\.zst$", 0, 0, NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(OsiTestResponse) list = NULL;
  JsonArray *backups;

  start (f, NULL, NULL);
  first = create_backup (f);
  second = create_backup (f);
  g_assert_true (g_regex_match (pattern, first, 0, NULL));
  g_assert_true (g_regex_match (pattern, second, 0, NULL));
  g_assert_cmpstr (first, !=, second);

  /* newest first, with size and sha256 true to the files */
  backups = list_backups (f, &list);
  g_assert_cmpuint (json_array_get_length (backups), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (backups, 0), "name"), ==, second);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (backups, 1), "name"), ==, first);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *entry = json_array_get_object_element (backups, i);
      g_autofree char *path = backup_file (f, json_object_get_string_member (entry, "name"));
      g_autofree char *sha = osi_test_file_sha256 (path);
      g_autoptr(GDateTime) date = g_date_time_new_from_iso8601 (json_object_get_string_member (entry, "date"), NULL);
      struct stat st;

      g_assert_cmpint (stat (path, &st), ==, 0);
      g_assert_nonnull (date);
      g_assert_cmpint (json_object_get_int_member (entry, "size"), ==, st.st_size);
      g_assert_cmpstr (json_object_get_string_member (entry, "sha256"), ==, sha);
    }

  /* the download is the file, with its headers */
  {
    g_autofree char *path = backup_file (f, second);
    g_autofree char *query = query_for ("/api/rag/backup", second);
    g_autofree char *sha = osi_test_file_sha256 (path);
    g_autofree char *digest = digest_header_for (sha);
    g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", second);
    g_autoptr(OsiTestResponse) r = get (f, query);
    g_autofree char *contents = NULL;
    gsize len;

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    g_assert_cmpint (soup_message_headers_get_content_length (r->headers), ==, (goffset)len);
    g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "application/octet-stream");
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Content-Disposition"), ==, disposition);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Accept-Ranges"), ==, "bytes");
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Repr-Digest"), ==, digest);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, len);
    g_assert_true (memcmp (g_bytes_get_data (r->body, NULL), contents, len) == 0);
  }

  /* what create wrote is the data */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *path = backup_file (f, first);
    g_autofree char *check = g_build_filename (f->tmp, "check", NULL);

    g_assert_cmpint (g_mkdir (check, 0700), ==, 0);
    g_assert_true (osi_archive_extract (path, check, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (osi_test_trees_equal (check, f->reference, NULL));
  }
  assert_no_leftovers (f);
}

/* The server keeps the rendered list while its folder does not change:
 * whatever happens in the folder, by the server or by hand, the next list
 * shows it. */
static JsonObject *
listed (JsonArray  *backups,
        const char *name)
{
  return osi_test_json_find_named (backups, name);
}

static void
test_list_follows_folder (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *first = NULL;
  g_autofree char *path = NULL;
  g_autofree char *moved = NULL;
  g_autoptr(OsiTestResponse) r1 = NULL;
  g_autoptr(OsiTestResponse) r2 = NULL;
  g_autoptr(OsiTestResponse) r3 = NULL;
  g_autoptr(OsiTestResponse) r4 = NULL;
  g_autoptr(OsiTestResponse) r5 = NULL;
  g_autoptr(OsiTestResponse) r6 = NULL;
  g_autoptr(OsiTestResponse) r7 = NULL;
  struct utimbuf times = { 1700000000, 1700000000 };
  JsonArray *backups;
  JsonObject *entry;
  gint64 size;
  FILE *file;

  start (f, NULL, NULL);
  first = create_backup (f);
  path = backup_file (f, first);
  backups = list_backups (f, &r1);
  g_assert_cmpuint (json_array_get_length (backups), ==, 1);
  size = json_object_get_int_member (listed (backups, first), "size");
  /* Twice in a row, nothing changed: the same answer. */
  list_backups (f, &r2);
  g_assert_true (g_bytes_equal (r1->body, r2->body));

  /* Written in place: the new size, and no checksum of the old bytes. */
  file = fopen (path, "ab");
  g_assert_nonnull (file);
  fputs ("tail", file);
  fclose (file);
  backups = list_backups (f, &r3);
  entry = listed (backups, first);
  g_assert_cmpint (json_object_get_int_member (entry, "size"), ==, size + 4);

  /* Touched: the new date. */
  g_assert_cmpint (utime (path, &times), ==, 0);
  backups = list_backups (f, &r4);
  g_assert_cmpstr (json_object_get_string_member (listed (backups, first), "date"), ==, "2023-11-14T22:13:20Z");

  /* Copied in by hand, renamed, removed. */
  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  backups = list_backups (f, &r5);
  g_assert_cmpuint (json_array_get_length (backups), ==, 2);
  g_assert_nonnull (listed (backups, "backup_20250101_000000.tar.zst"));
  moved = backup_file (f, "backup_20250102_000000.tar.zst");
  g_assert_cmpint (g_rename (path, moved), ==, 0);
  backups = list_backups (f, &r6);
  g_assert_null (listed (backups, first));
  g_assert_nonnull (listed (backups, "backup_20250102_000000.tar.zst"));
  g_assert_cmpint (g_unlink (moved), ==, 0);
  backups = list_backups (f, &r7);
  g_assert_cmpuint (json_array_get_length (backups), ==, 1);
  g_assert_null (listed (backups, "backup_20250102_000000.tar.zst"));
}

static void
test_range (Fixture       *f,
            gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *sha = NULL;
  gsize size;

  start (f, NULL, NULL);
  name = create_backup (f);
  path = backup_file (f, name);
  query = query_for ("/api/rag/backup", name);
  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  sha = osi_test_file_sha256 (path);
  digest = digest_header_for (sha);
  g_assert_cmpuint (size, >, 200);

  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", query, AUTH_GOOD);
    g_autoptr(OsiTestResponse) r = NULL;
    g_autofree char *expected = g_strdup_printf ("bytes 10-99/%" G_GSIZE_FORMAT, size);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=10-99");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_PARTIAL_CONTENT);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Content-Range"), ==, expected);
    g_assert_cmpint (soup_message_headers_get_content_length (r->headers), ==, 90);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, 90);
    g_assert_true (memcmp (g_bytes_get_data (r->body, NULL), contents + 10, 90) == 0);
    /* the digest is of the whole file, whatever the range */
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Repr-Digest"), ==, digest);
  }
  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", query, AUTH_GOOD);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=-50");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_PARTIAL_CONTENT);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, 50);
    g_assert_true (memcmp (g_bytes_get_data (r->body, NULL), contents + size - 50, 50) == 0);
  }
  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", query, AUTH_GOOD);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=100-");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_PARTIAL_CONTENT);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, size - 100);
    g_assert_true (memcmp (g_bytes_get_data (r->body, NULL), contents + 100, size - 100) == 0);
  }
  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", query, AUTH_GOOD);
    g_autofree char *range = g_strdup_printf ("bytes=%" G_GSIZE_FORMAT "-", size);
    g_autofree char *expected = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, size);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);
    r = osi_test_send (f->session, msg, FALSE);
    assert_error (r, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Content-Range"), ==, expected);
  }
  {
    /* a malformed range is ignored: the whole file */
    g_autoptr(SoupMessage) msg = new_message (f, "GET", query, AUTH_GOOD);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", "bytes=50-20");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, size);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "HEAD", query, AUTH_GOOD, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpint (soup_message_headers_get_content_length (r->headers), ==, (goffset)size);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Repr-Digest"), ==, digest);
  }
}

/* Backups the server did not make: hashed lazily, in the background, or
 * before a download answers. */
static void
test_lazy_sha256 (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *a = backup_file (f, "backup_20250101_000000.tar.zst");
  g_autofree char *b = backup_file (f, "backup_20250102_000000.tar.zst");
  g_autofree char *b_side = backup_file (f, ".backup_20250102_000000.tar.zst.sha256");
  g_autofree char *a_sha = NULL;
  g_autofree char *b_sha = NULL;
  struct timespec past[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
  gboolean hashed = FALSE;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  put_archive (f, f->reference, "backup_20250102_000000.tar.zst");
  a_sha = osi_test_file_sha256 (a);
  b_sha = osi_test_file_sha256 (b);
  /* a stale sidecar, older than its file, with a wrong digest */
  g_assert_true (g_file_set_contents (b_side, "0000000000000000000000000000000000000000000000000000000000000000  x\n", -1, NULL));
  g_assert_cmpint (utimensat (AT_FDCWD, b_side, past, 0), ==, 0);
  start (f, NULL, NULL);

  {
    g_autofree char *digest = digest_header_for (a_sha);
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup?filename=backup_20250101_000000.tar.zst");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Repr-Digest"), ==, digest);
  }

  while (!hashed)
    {
      g_autoptr(OsiTestResponse) list = NULL;
      JsonArray *backups = list_backups (f, &list);

      g_assert_cmpuint (json_array_get_length (backups), ==, 2);
      hashed = TRUE;
      for (guint i = 0; i < 2; i++)
        {
          JsonObject *entry = json_array_get_object_element (backups, i);
          const char *name = json_object_get_string_member (entry, "name");
          const char *sha = json_object_get_string_member_with_default (entry, "sha256", NULL);

          g_assert_true (json_object_has_member (entry, "size"));
          if (sha == NULL)
            hashed = FALSE;
          else
            g_assert_cmpstr (sha, ==, strcmp (name, "backup_20250101_000000.tar.zst") == 0 ? a_sha : b_sha);
        }
      if (!hashed)
        g_usleep (20000);
    }

  /* the digests are kept beside the backups */
  {
    g_autofree char *text = NULL;
    g_autofree char *expected = g_strdup_printf ("%s  backup_20250102_000000.tar.zst\n", b_sha);

    g_assert_true (g_file_get_contents (b_side, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, expected);
  }
}

static void
test_delete (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *side = NULL;
  g_autofree char *query = NULL;
  g_autofree char *outside = g_build_filename (f->tmp, "outside.tar.zst", NULL);

  g_assert_true (g_file_set_contents (outside, "x", -1, NULL));
  start (f, NULL, NULL);
  name = create_backup (f);
  path = backup_file (f, name);
  side = g_strdup_printf ("%s/.%s.sha256", f->backups, name);
  query = query_for ("/api/rag/backup", name);
  g_assert_true (g_file_test (side, G_FILE_TEST_EXISTS));

  {
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", query, AUTH_GOOD, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "status"), ==, "success");
    g_assert_nonnull (string_member (r, "message"));
  }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (side, G_FILE_TEST_EXISTS));
  {
    g_autoptr(OsiTestResponse) list = NULL;
    g_assert_cmpuint (json_array_get_length (list_backups (f, &list)), ==, 0);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", query, AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", "/api/rag/backup", AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", "/api/rag/backup?filename=../outside.tar.zst", AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  g_assert_true (g_file_test (outside, G_FILE_TEST_EXISTS));
}

static GBytes *
archive_bytes (Fixture    *f,
               const char *data_dir)
{
  g_autofree char *path = g_build_filename (f->tmp, "made.tar.zst", NULL);
  char *contents = NULL;
  gsize len;

  g_unlink (path);
  osi_test_make_archive (data_dir, path, OSI_COMPRESSION_ZSTD, NULL);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_unlink (path);
  return g_bytes_new_take (contents, len);
}

static OsiTestResponse *
upload (Fixture    *f,
        const char *encoded_name,
        GBytes     *bytes)
{
  g_autofree char *query = query_for ("/api/rag/backup/upload", encoded_name);
  g_autoptr(SoupMessage) msg = new_message (f, "POST", query, AUTH_GOOD);

  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", bytes);
  return osi_test_send (f->session, msg, FALSE);
}

static void
test_upload (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GBytes) archive = archive_bytes (f, f->other);
  const char *name = "backup_20250101_000000.tar.zst";
  g_autofree char *stored = backup_file (f, name);
  guint visible;

  start (f, NULL, NULL);
  {
    g_autoptr(OsiTestResponse) r = upload (f, name, archive);
    JsonObject *backup;
    g_autofree char *contents = NULL;
    g_autofree char *sha = NULL;
    gsize len;

    osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
    g_assert_cmpstr (string_member (r, "status"), ==, "success");
    backup = json_object_get_object_member (osi_test_response_object (r), "backup");
    g_assert_cmpstr (json_object_get_string_member (backup, "name"), ==, name);
    g_assert_cmpint (json_object_get_int_member (backup, "size"), ==, (gint64)g_bytes_get_size (archive));
    g_assert_true (g_file_get_contents (stored, &contents, &len, NULL));
    g_assert_cmpuint (len, ==, g_bytes_get_size (archive));
    g_assert_true (memcmp (contents, g_bytes_get_data (archive, NULL), len) == 0);
    sha = osi_test_file_sha256 (stored);
    g_assert_cmpstr (json_object_get_string_member (backup, "sha256"), ==, sha);
  }

  /* never replaced */
  {
    g_autoptr(GBytes) other = archive_bytes (f, f->reference);
    g_autoptr(OsiTestResponse) r = upload (f, name, other);
    g_autofree char *sha_now = osi_test_file_sha256 (stored);
    g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

    assert_error (r, SOUP_STATUS_CONFLICT);
    g_checksum_update (sum, g_bytes_get_data (archive, NULL), g_bytes_get_size (archive));
    g_assert_cmpstr (sha_now, ==, g_checksum_get_string (sum));
  }

  /* one tampered byte: refused, nothing kept */
  visible = count_visible (f);
  {
    g_autoptr(GBytes) tampered = tampered_copy (stored);
    g_autoptr(OsiTestResponse) r = upload (f, "tampered.tar.zst", tampered);
    JsonObject *report;

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    report = json_object_get_object_member (osi_test_response_object (r), "report");
    g_assert_nonnull (report);
    g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  }
  g_assert_cmpuint (count_visible (f), ==, visible);

  /* a bare knowledge base, unproven, is accepted; broken JSON is not */
  {
    g_autoptr(GBytes) kb = g_bytes_new_static (osi_test_valid_rag (), strlen (osi_test_valid_rag ()));
    g_autoptr(OsiTestResponse) r = upload (f, "rag_20250101.json", kb);

    osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  }
  {
    g_autoptr(GBytes) broken = g_bytes_new_static ("{\"inscription\": ", 16);
    g_autoptr(OsiTestResponse) r = upload (f, "broken.json", broken);

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  }
  {
    g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
    g_autoptr(OsiTestResponse) r = upload (f, "empty.tar.gz", empty);

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  }
  {
    g_autoptr(OsiTestResponse) r = upload (f, "notes.txt", archive);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/upload", AUTH_GOOD, "abc", -1);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  g_assert_cmpuint (count_visible (f), ==, visible + 1);
  assert_no_leftovers (f);
}

static void
test_upload_too_large (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *big = g_malloc0 (10000);

  start (f, "--max-upload", "4096");
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/upload?filename=big.tar.zst", AUTH_GOOD, big, 10000);

    assert_error (r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  }
  {
    /* no Content-Length: caught while streaming */
    g_autoptr(SoupMessage) msg = new_message (f, "POST", "/api/rag/backup/upload?filename=big.tar.zst", AUTH_GOOD);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (big, 10000, NULL);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_set_request_body (msg, "application/octet-stream", stream, -1);
    g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_request_headers (msg)), ==,
                     SOUP_ENCODING_CHUNKED);
    r = osi_test_send (f->session, msg, FALSE);
    assert_error (r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  }
  {
    /* with Expect: 100-continue the body is never sent */
    g_autoptr(SoupMessage) msg = new_message (f, "POST", "/api/rag/backup/upload?filename=big.tar.zst", AUTH_GOOD);
    g_autoptr(GBytes) bytes = g_bytes_new_static (big, 10000);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_set_request_body_from_bytes (msg, "application/octet-stream", bytes);
    soup_message_headers_set_expectations (soup_message_get_request_headers (msg), SOUP_EXPECTATION_CONTINUE);
    r = osi_test_send (f->session, msg, FALSE);
    assert_error (r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  }
  {
    /* under the limit it is read, and judged on its content */
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/upload?filename=small.tar.zst", AUTH_GOOD, big, 2000);

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  }
  {
    /* JSON bodies are bounded too */
    g_autofree char *body = g_strnfill (70 * 1024, ' ');
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, body, -1);

    assert_error (r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  }
  g_assert_cmpuint (count_visible (f), ==, 0);
  assert_no_leftovers (f);
}

/* 507 without filling a disk: an upload announcing a petabyte, with
 * Expect: 100-continue so that its body is never sent. */
static void
test_upload_no_space (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data ("x", 1, NULL);
  g_autoptr(OsiTestResponse) r = NULL;
  g_autofree char *needed = g_format_size (G_GUINT64_CONSTANT (1) << 50);

  start (f, "--max-upload", "1152921504606846976");
  msg = new_message (f, "POST", "/api/rag/backup/upload?filename=huge.tar.zst", AUTH_GOOD);
  soup_message_set_request_body (msg, "application/octet-stream", stream, (gssize)(G_GINT64_CONSTANT (1) << 50));
  soup_message_headers_set_expectations (soup_message_get_request_headers (msg), SOUP_EXPECTATION_CONTINUE);
  r = osi_test_send (f->session, msg, FALSE);
  assert_error (r, SOUP_STATUS_INSUFFICIENT_STORAGE);
  /* it says how much is needed */
  g_assert_nonnull (strstr (string_member (r, "detail"), needed));
  g_assert_cmpuint (count_visible (f), ==, 0);
  assert_no_leftovers (f);
}

static void
test_verify (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *query = NULL;

  start (f, NULL, NULL);
  name = create_backup (f);
  query = query_for ("/api/rag/backup/verify", name);
  {
    g_autoptr(OsiTestResponse) r = get (f, query);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "verdict"), ==, "restorable");
    g_assert_true (json_object_get_boolean_member (osi_test_response_object (r), "restorable"));
    /* the name, not the server's path */
    g_assert_cmpstr (string_member (r, "file"), ==, name);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (osi_test_response_object (r), "findings")), ==, 0);
  }
  {
    g_autofree char *path = backup_file (f, name);
    g_autofree char *bad = backup_file (f, "bad.tar.zst");
    g_autoptr(GBytes) tampered = tampered_copy (path);
    g_autoptr(OsiTestResponse) r = NULL;

    g_assert_true (g_file_set_contents (bad, g_bytes_get_data (tampered, NULL), (gssize)g_bytes_get_size (tampered), NULL));
    r = get (f, "/api/rag/backup/verify?filename=bad.tar.zst");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "verdict"), ==, "not_restorable");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (osi_test_response_object (r), "findings")), >, 0);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/verify?filename=missing.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/verify");
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
}

/* What restoring a backup would change: the server's answer is the
 * comparison of its data folder with the backup, made here too. */
static void
test_diff (Fixture       *f,
           gconstpointer  user_data)
{
  g_autofree char *other = backup_file (f, "other.tar.zst");
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) expected = NULL;
  g_autoptr(JsonNode) expected_json = NULL;

  put_archive (f, f->other, "other.tar.zst");
  start (f, NULL, NULL);
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/diff?filename=other.tar.zst");
    JsonObject *object;
    JsonObject *rag;

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    object = osi_test_response_object (r);
    g_assert_cmpstr (string_member (r, "a"), ==, "current");
    g_assert_cmpstr (string_member (r, "b"), ==, "other.tar.zst");
    g_assert_cmpstr (string_member (r, "summary"), !=, "");
    rag = json_object_get_object_member (object, "rag");
    g_assert_cmpint (json_object_get_int_member (rag, "added") + json_object_get_int_member (rag, "removed") +
                     json_object_get_int_member (rag, "modified"), >, 0);

    /* the same as the library says, but for the names of A and B */
    expected = osi_diff_compare (f->data, other, NULL, &error);
    g_assert_no_error (error);
    expected_json = osi_diff_to_json (expected);
    json_object_set_string_member (json_node_get_object (expected_json), "a", "current");
    json_object_set_string_member (json_node_get_object (expected_json), "b", "other.tar.zst");
    json_object_remove_member (json_node_get_object (expected_json), "summary");
    json_object_remove_member (object, "summary");
    g_assert_true (json_node_equal (expected_json, r->json));
  }

  /* a backup of the data as it is changes nothing */
  name = create_backup (f);
  {
    g_autofree char *query = query_for ("/api/rag/backup/diff", name);
    g_autoptr(OsiTestResponse) r = get (f, query);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
      {
        JsonObject *section = json_object_get_object_member (osi_test_response_object (r), osi_diff_section_to_string (s));

        g_assert_cmpuint (json_array_get_length (json_object_get_array_member (section, "changes")), ==, 0);
        g_assert_cmpint (json_object_get_int_member (section, "added"), ==, 0);
      }
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (osi_test_response_object (r), "rag"), "unchanged"),
                     >, 0);
  }

  /* a backup that fails verification: 422 with the report */
  {
    g_autofree char *bad = backup_file (f, "bad.tar.zst");
    g_autoptr(GBytes) tampered = tampered_copy (other);
    g_autoptr(OsiTestResponse) r = NULL;
    JsonObject *report;

    g_assert_true (g_file_set_contents (bad, g_bytes_get_data (tampered, NULL),
                                        (gssize)g_bytes_get_size (tampered), NULL));
    r = get (f, "/api/rag/backup/diff?filename=bad.tar.zst");
    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    report = json_object_get_object_member (osi_test_response_object (r), "report");
    g_assert_nonnull (report);
    g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
    g_assert_cmpstr (json_object_get_string_member (report, "file"), ==, "bad.tar.zst");
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/diff?filename=missing.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/diff");
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/diff?filename=..%2Fdata");
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
}

static void
test_restore (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GRegex) pattern = g_regex_new ("^backup_\\d{8}_\\d{6}_safety(_\\d+)?\\.tar\\.zst$", 0, 0, NULL);
  g_autofree char *safety = NULL;
  g_autofree char *second_safety = NULL;
  g_autoptr(GDateTime) ready_at = NULL;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, NULL, NULL);

  {
    g_autoptr(OsiTestResponse) r = restore (f, "backup_20250101_000000.tar.zst");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (string_member (r, "status"), ==, "success");
    g_assert_nonnull (string_member (r, "message"));
    safety = g_strdup (string_member (r, "safety_backup"));
    /* made after the swap: the answer says by when (an estimate) */
    ready_at = g_date_time_new_from_iso8601 (string_member (r, "safety_backup_ready_at"), NULL);
    g_assert_nonnull (ready_at);
  }
  g_assert_true (g_regex_match (pattern, safety, 0, NULL));
  assert_data_is (f, f->other);

  /* the safety backup is listed, whole, and brings the old data back */
  osi_test_server_wait_listed (f->server, safety, "safety");
  {
    g_autoptr(OsiTestResponse) list = NULL;
    JsonArray *backups = list_backups (f, &list);
    gboolean found = FALSE;

    for (guint i = 0; i < json_array_get_length (backups); i++)
      found |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (backups, i), "name"),
                          safety) == 0;
    g_assert_true (found);
  }
  {
    g_autoptr(OsiTestResponse) r = restore (f, safety);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    second_safety = g_strdup (string_member (r, "safety_backup"));
    g_assert_cmpstr (second_safety, !=, safety);
  }
  assert_data_is (f, f->reference);
  osi_test_server_wait_listed (f->server, second_safety, "safety");
  g_assert_cmpuint (count_visible (f), ==, 3);
  assert_no_leftovers (f);
}

/* Old data a restore kept aside (.data.osi-retired.STEM) when the server
 * stopped before its safety backup was made: the next start makes it. */
#define KEPT_STEM "backup_20250101_000000_safety"

static char *
keep_aside (Fixture    *f,
            const char *source)
{
  g_autofree char *retired = g_build_filename (f->tmp, ".data.osi-retired." KEPT_STEM, NULL);
  g_autofree char *parent = g_build_filename (f->tmp, "kept", NULL);
  g_autofree char *copy = NULL;

  g_assert_cmpint (g_mkdir (parent, 0700), ==, 0);
  copy = osi_test_generate_data (parent, MIB, source == f->reference ? 1 : 2);
  g_assert_true (osi_test_trees_equal (copy, source, NULL));
  g_assert_cmpint (g_rename (copy, retired), ==, 0);
  g_assert_cmpint (g_rmdir (parent), ==, 0);
  return g_steal_pointer (&retired);
}

static void
assert_archive_holds (Fixture    *f,
                      const char *name,
                      const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = backup_file (f, name);
  g_autofree char *out = g_build_filename (f->tmp, "check-kept", NULL);
  g_autofree char *why = NULL;

  g_assert_cmpint (g_mkdir (out, 0700), ==, 0);
  g_assert_true (osi_archive_extract (path, out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (!osi_test_trees_equal (out, expected, &why))
    g_error ("%s does not hold the data expected: %s", name, why);
  g_assert_true (osi_remove_tree (out, &error));
}

static void
test_restore_safety_resumed (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autofree char *retired = keep_aside (f, f->reference);

  start (f, NULL, NULL);
  osi_test_server_wait_listed (f->server, KEPT_STEM ".tar.zst", "safety");
  g_assert_false (g_file_test (retired, G_FILE_TEST_EXISTS));
  assert_archive_holds (f, KEPT_STEM ".tar.zst", f->reference);
  assert_no_leftovers (f);
}

/* A backup already holds the safety backup's name at start, of the
 * given data: made before the server stopped (the kept data: only the
 * removal is left) or another backup given the name meanwhile (an upload
 * of other data: the kept data goes under the next name). Either way
 * that backup stays as it is. */
static void
safety_name_held (Fixture    *f,
                  const char *held_data,
                  const char *made)
{
  g_autofree char *retired = keep_aside (f, f->reference);
  g_autofree char *path = backup_file (f, KEPT_STEM ".tar.zst");
  g_autofree char *sha = NULL;
  g_autofree char *after = NULL;

  put_archive (f, held_data, KEPT_STEM ".tar.zst");
  sha = osi_test_file_sha256 (path);
  start (f, NULL, NULL);
  osi_test_server_wait_listed (f->server, made, "safety");
  g_assert_false (g_file_test (retired, G_FILE_TEST_EXISTS));
  after = osi_test_file_sha256 (path);
  g_assert_cmpstr (after, ==, sha);
  assert_archive_holds (f, made, f->reference);
  assert_archive_holds (f, KEPT_STEM ".tar.zst", held_data);
  g_assert_cmpuint (count_visible (f), ==, held_data == f->reference ? 1 : 2);
  assert_no_leftovers (f);
}

static void
test_restore_safety_made_before (Fixture       *f,
                                 gconstpointer  user_data)
{
  safety_name_held (f, f->reference, KEPT_STEM ".tar.zst");
}

static void
test_restore_safety_name_taken (Fixture       *f,
                                gconstpointer  user_data)
{
  safety_name_held (f, f->other, KEPT_STEM "_1.tar.zst");
}

static void
test_restore_refused (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *good = backup_file (f, "backup_20250101_000000.tar.zst");
  g_autofree char *bad = backup_file (f, "corrupt.tar.zst");
  g_autofree char *unproven = backup_file (f, "nomanifest.tar.gz");
  g_autoptr(GBytes) tampered = NULL;
  const OsiTestEntry entries[] = {
    { "rag/search.json", AE_IFREG, osi_test_valid_rag (), -1, NULL, FALSE },
    { "config/app.json", AE_IFREG, "{}", -1, NULL, FALSE },
  };

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  tampered = tampered_copy (good);
  g_assert_true (g_file_set_contents (bad, g_bytes_get_data (tampered, NULL), (gssize)g_bytes_get_size (tampered), NULL));
  osi_test_write_archive (unproven, ARCHIVE_FILTER_GZIP, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                          entries, G_N_ELEMENTS (entries), FALSE);
  start (f, NULL, NULL);

  {
    g_autoptr(OsiTestResponse) r = restore (f, "corrupt.tar.zst");

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    g_assert_nonnull (json_object_get_object_member (osi_test_response_object (r), "report"));
  }
  {
    /* an archive that cannot prove itself whole is not restored either */
    g_autoptr(OsiTestResponse) r = restore (f, "nomanifest.tar.gz");

    assert_error (r, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  }
  /* data untouched, no safety backup made */
  assert_data_is (f, f->reference);
  g_assert_cmpuint (count_visible (f), ==, 3);
  assert_no_leftovers (f);

  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, "not json", -1);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, "[\"backup_20250101_000000.tar.zst\"]", -1);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, "{}", -1);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", AUTH_GOOD, "{\"backupFile\": 5}", -1);
    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = restore (f, "missing.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup/restore", AUTH_GOOD, NULL, 0);

    assert_error (r, SOUP_STATUS_METHOD_NOT_ALLOWED);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==, "POST");
  }
  assert_data_is (f, f->reference);
}

static void
test_hostile_names (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *long_name = g_strnfill (300, 'a');
  g_autofree char *long_encoded = g_strconcat (long_name, ".tar.zst", NULL);
  g_autofree char *outside = g_build_filename (f->tmp, "x", NULL);
  const char *encoded[] = {
    "../x", "..%2Fx", "%2e%2e%2f", "%2e%2e%2fx", "a/b", "a%2Fb", "", "%00", "a%00.tar.zst",
    ".hidden.tar.zst", "%2ehidden.tar.zst", "..", "a..b.tar.zst", "a%20b.tar.zst", "%ff.tar.zst",
    "/etc/passwd", long_encoded,
  };
  const char *json_names[] = { "../x", "a/b", "", ".hidden.tar.zst", "..", "/etc/passwd", long_encoded };
  const char *paths[] = { "/api/rag/backup", "/api/rag/backup/verify", "/api/rag/backup/upload" };

  g_assert_true (g_file_set_contents (outside, "keep", -1, NULL));
  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (encoded); i++)
    {
      for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
        {
          g_autofree char *query = query_for (paths[p], encoded[i]);
          gboolean is_upload = p == 2;
          g_autoptr(OsiTestResponse) r = request (f, is_upload ? "POST" : "GET", query, AUTH_GOOD,
                                           is_upload ? "bytes" : NULL, -1);

          if (r->status != SOUP_STATUS_BAD_REQUEST)
            g_error ("%s: %u", query, r->status);
          assert_error (r, SOUP_STATUS_BAD_REQUEST);
        }
      {
        g_autofree char *query = query_for ("/api/rag/backup", encoded[i]);
        g_autoptr(OsiTestResponse) r = request (f, "DELETE", query, AUTH_GOOD, NULL, 0);

        assert_error (r, SOUP_STATUS_BAD_REQUEST);
      }
    }
  for (guint i = 0; i < G_N_ELEMENTS (json_names); i++)
    {
      g_autoptr(OsiTestResponse) r = restore (f, json_names[i]);

      assert_error (r, SOUP_STATUS_BAD_REQUEST);
    }

  /* nothing outside the backup folder was read, written or removed */
  {
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (outside, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "keep");
  }
  g_assert_cmpuint (count_visible (f), ==, 1);
  assert_data_is (f, f->reference);
  assert_no_leftovers (f);
}

static void
test_not_found_and_methods (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autofree char *notes = backup_file (f, "notes.txt");

  g_assert_true (g_file_set_contents (notes, "not a backup", -1, NULL));
  start (f, NULL, NULL);

  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/unknown");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup/diff?filename=a.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup?filename=missing.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    /* a file of the folder that is not a backup is not served */
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup?filename=notes.txt");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) list = NULL;
    g_assert_cmpuint (json_array_get_length (list_backups (f, &list)), ==, 0);
  }

  {
    static const struct
    {
      const char *method;
      const char *path;
    } wrong[] = {
      { "PUT", "/api/rag/backup" },
      { "PATCH", "/api/rag/backup/restore" },
      { "DELETE", "/api/health" },
      { "GET", "/api/rag/backup/upload?filename=a.tar.zst" },
      { "PUT", "/api/rag/backup/upload?filename=a.tar.zst" },
      { "POST", "/api/rag/backup/verify?filename=a.tar.zst" },
      { "DELETE", "/api/rag/backup/restore" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
      {
        g_autoptr(OsiTestResponse) r = request (f, wrong[i].method, wrong[i].path, AUTH_GOOD, NULL, 0);

        if (r->status != SOUP_STATUS_METHOD_NOT_ALLOWED)
          g_error ("%s %s: %u", wrong[i].method, wrong[i].path, r->status);
        assert_error (r, SOUP_STATUS_METHOD_NOT_ALLOWED);
        g_assert_nonnull (soup_message_headers_get_one (r->headers, "Allow"));
      }
  }
}

static void
wait_for_file (const char *path)
{
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_usleep (10000);
}

/* The restore holds the server until its --on-restore command ends: a
 * deterministic window in which a create and a restore get 409. */
static void
test_busy_during_hook (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *started = g_build_filename (f->tmp, "hook-started", NULL);
  g_autofree char *release = g_build_filename (f->tmp, "hook-release", NULL);
  g_autofree char *done = g_build_filename (f->tmp, "hook-done", NULL);
  g_autofree char *q_started = g_shell_quote (started);
  g_autofree char *q_release = g_shell_quote (release);
  g_autofree char *q_done = g_shell_quote (done);
  g_autofree char *safety = NULL;
  g_autofree char *hook = g_strdup_printf ("touch %s; while [ ! -e %s ]; do sleep 0.02; done; "
                                           "echo \"$OSI_BACKUP_RESTORED\" > %s",
                                           q_started, q_release, q_done);
  guint status = SOUP_STATUS_CONFLICT;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, "--on-restore", hook);

  {
    g_autoptr(OsiTestResponse) r = restore (f, "backup_20250101_000000.tar.zst");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    safety = g_strdup (string_member (r, "safety_backup"));
  }
  assert_data_is (f, f->other);
  wait_for_file (started);
  /* the safety backup is made meanwhile, the command still running */
  osi_test_server_wait_listed (f->server, safety, "safety");
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_CONFLICT);
  }
  {
    g_autoptr(OsiTestResponse) r = restore (f, "backup_20250101_000000.tar.zst");
    assert_error (r, SOUP_STATUS_CONFLICT);
  }
  {
    /* nor is the backup being restored deleted under it */
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", "/api/rag/backup?filename=backup_20250101_000000.tar.zst",
                                     AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_CONFLICT);
  }
  {
    /* reading goes on meanwhile */
    g_autoptr(OsiTestResponse) list = NULL;
    g_assert_cmpuint (json_array_get_length (list_backups (f, &list)), ==, 2);
  }

  g_assert_true (g_file_set_contents (release, "", -1, NULL));
  while (status == SOUP_STATUS_CONFLICT)
    {
      g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", AUTH_GOOD, NULL, 0);

      status = r->status;
      if (status == SOUP_STATUS_CONFLICT)
        g_usleep (20000);
    }
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
  {
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (done, &text, NULL, NULL));
    g_assert_cmpstr (g_strstrip (text), ==, "backup_20250101_000000.tar.zst");
  }
}

/* A failing reload command does not undo the restore. */
static void
test_hook_failure (Fixture       *f,
                   gconstpointer  user_data)
{
  guint status = SOUP_STATUS_CONFLICT;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, "--on-restore", "echo reload failed >&2; exit 3");
  {
    g_autoptr(OsiTestResponse) r = restore (f, "backup_20250101_000000.tar.zst");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  assert_data_is (f, f->other);
  /* and once it has ended, the server is free again */
  while (status == SOUP_STATUS_CONFLICT)
    {
      g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", AUTH_GOOD, NULL, 0);

      status = r->status;
      if (status == SOUP_STATUS_CONFLICT)
        g_usleep (20000);
    }
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
}

/* docs/api.md §3.4: a create and a restore at once, one gets 409. The data is big
 * enough (16 MiB) that the first is still running when the second comes. */
static void
test_create_and_restore_at_once (Fixture       *f,
                                 gconstpointer  user_data)
{
  g_autofree char *body = restore_body ("backup_20250101_000000.tar.zst");
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(AsyncCall) create = NULL;
  g_autoptr(AsyncCall) restore_call = NULL;
  SoupMessage *restore_msg;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, NULL, NULL);

  restore_msg = new_message (f, "POST", "/api/rag/backup/restore", AUTH_GOOD);
  soup_message_set_request_body_from_bytes (restore_msg, "application/json", bytes);
  create = send_async (f, new_message (f, "POST", "/api/rag/backup", AUTH_GOOD));
  restore_call = send_async (f, restore_msg);
  async_wait (create);
  async_wait (restore_call);
  g_assert_no_error (create->error);
  g_assert_no_error (restore_call->error);

  if (create->status == SOUP_STATUS_CONFLICT)
    {
      g_assert_cmpuint (restore_call->status, ==, SOUP_STATUS_OK);
      assert_data_is (f, f->other);
    }
  else
    {
      g_assert_cmpuint (create->status, ==, SOUP_STATUS_CREATED);
      g_assert_cmpuint (restore_call->status, ==, SOUP_STATUS_CONFLICT);
      assert_data_is (f, f->reference);
    }

  /* two creates at once */
  {
    g_autoptr(AsyncCall) a = send_async (f, new_message (f, "POST", "/api/rag/backup", AUTH_GOOD));
    g_autoptr(AsyncCall) b = send_async (f, new_message (f, "POST", "/api/rag/backup", AUTH_GOOD));

    async_wait (a);
    async_wait (b);
    g_assert_no_error (a->error);
    g_assert_no_error (b->error);
    g_assert_cmpuint (MIN (a->status, b->status), ==, SOUP_STATUS_CREATED);
    g_assert_cmpuint (MAX (a->status, b->status), ==, SOUP_STATUS_CONFLICT);
  }
  assert_no_leftovers (f);
}

static gboolean
dir_has (const char *dir,
         const char *prefix,
         const char *infix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean found = FALSE;

  while (!found && (name = g_dir_read_name (d)) != NULL)
    found = g_str_has_prefix (name, prefix) && (infix == NULL || strstr (name, infix) != NULL);
  g_dir_close (d);
  return found;
}

static void
assert_backups_whole (Fixture *f)
{
  GDir *dir = g_dir_open (f->backups, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = backup_file (f, name);
      g_autoptr(OsiVerifyReport) report = NULL;

      if (name[0] == '.')
        continue;
      report = osi_archive_verify (path, NULL, NULL, NULL);
      g_assert_nonnull (report);
      g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
    }
  g_dir_close (dir);
}

/* SIGTERM while a create writes: exit 0, its temporary file gone. */
static void
test_sigterm_during_create (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(AsyncCall) call = NULL;

  start (f, NULL, NULL);
  call = send_async (f, new_message (f, "POST", "/api/rag/backup", AUTH_GOOD));
  /* until the archive is being written (or, on a fast machine, done) */
  while (!call->done && !dir_has (f->backups, ".backup_", ".part") && count_visible (f) == 0)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  async_wait (call);
  if (call->error == NULL)
    g_assert_true (call->status == SOUP_STATUS_CREATED || call->status == SOUP_STATUS_SERVICE_UNAVAILABLE);

  assert_no_leftovers (f);
  assert_backups_whole (f);
  assert_data_is (f, f->reference);

  /* and it starts again */
  osi_test_server_free (g_steal_pointer (&f->server));
  start (f, NULL, NULL);
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
}

/* SIGTERM while a restore runs: exit 0; the data old or new, whole. */
static void
test_sigterm_during_restore (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autofree char *body = restore_body ("backup_20250101_000000.tar.zst");
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(AsyncCall) call = NULL;
  SoupMessage *msg;
  g_autofree char *why_old = NULL;
  g_autofree char *why_new = NULL;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, NULL, NULL);
  msg = new_message (f, "POST", "/api/rag/backup/restore", AUTH_GOOD);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  call = send_async (f, msg);
  /* until the extraction has begun (or, on a fast machine, all is done) */
  while (!call->done && !dir_has (f->tmp, ".data.osi-staging.", NULL))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  async_wait (call);

  if (!osi_test_trees_equal (f->data, f->reference, &why_old) &&
      !osi_test_trees_equal (f->data, f->other, &why_new))
    g_error ("the data is neither the old (%s) nor the new (%s)", why_old, why_new);
  if (call->error == NULL && call->status == SOUP_STATUS_OK)
    assert_data_is (f, f->other);
  assert_no_leftovers (f);
  assert_backups_whole (f);
}

/* Leftovers of a crash are cleaned at start; other files are left alone. */
static void
test_leftovers_cleaned (Fixture       *f,
                        gconstpointer  user_data)
{
  const char *removed[] = {
    ".backup_20250101_000000.tar.zst.Ab12Cd.part",
    ".kb.json.Zz99Yy.part.json",
    ".gone.tar.zst.sha256",
    ".backup_20250101_000000.tar.zst.sha256.0a1b2c.part",
  };
  const char *kept[] = { ".keep", "notes.txt", ".notes.part" };
  g_autofree char *staging = g_build_filename (f->tmp, ".data.osi-staging.Q1w2E3", NULL);
  g_autofree char *staged_file = g_build_filename (staging, "half.json", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (removed); i++)
    {
      g_autofree char *path = backup_file (f, removed[i]);
      g_assert_true (g_file_set_contents (path, "partial", -1, NULL));
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = backup_file (f, kept[i]);
      g_assert_true (g_file_set_contents (path, "mine", -1, NULL));
    }
  g_assert_cmpint (g_mkdir (staging, 0700), ==, 0);
  g_assert_true (g_file_set_contents (staged_file, "{", -1, NULL));

  start (f, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (removed); i++)
    {
      g_autofree char *path = backup_file (f, removed[i]);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_error ("%s was not cleaned", removed[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = backup_file (f, kept[i]);
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
  assert_data_is (f, f->reference);
  {
    g_autoptr(OsiTestResponse) list = NULL;
    g_assert_cmpuint (json_array_get_length (list_backups (f, &list)), ==, 0);
  }
}

/* Starts the server with its stderr (the log) in a file. */
static void
start_logging (Fixture    *f,
               const char *log_path)
{
  OsiTestServerOptions options = { .log_path = log_path };

  g_assert_null (f->server);
  f->server = osi_test_server_start_full (f->tmp, f->data, f->backups, TOKEN, &options, NULL);
}

static void
test_access_log (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *log_path = g_build_filename (f->tmp, "server.log", NULL);
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean seen_list = FALSE, seen_missing = FALSE, seen_denied = FALSE;

  start_logging (f, log_path);
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup?filename=missing.tar.zst");
    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", "/api/rag/backup?filename=x.tar.zst", AUTH_WRONG, NULL, 0);
    assert_error (r, SOUP_STATUS_UNAUTHORIZED);
  }
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);

  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_null (strstr (log, TOKEN));
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* time, peer, request, status, bytes, duration */
      if (strstr (lines[i], " 127.0.0.1 \"GET /api/rag/backup\" 200 ") != NULL &&
          g_str_has_suffix (lines[i], "ms"))
        seen_list = TRUE;
      if (strstr (lines[i], "\"GET /api/rag/backup?filename=missing.tar.zst\" 404 ") != NULL)
        seen_missing = TRUE;
      if (strstr (lines[i], "\"DELETE /api/rag/backup?filename=x.tar.zst\" 401 ") != NULL)
        seen_denied = TRUE;
    }
  g_assert_true (seen_list);
  g_assert_true (seen_missing);
  g_assert_true (seen_denied);
}

/* Runs the server expecting it to refuse to start; returns its exit status
 * and what it said. */
static int
run_refused (char       **out_stderr,
             const char  *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) out = NULL;
  g_autoptr(GIOChannel) err = NULL;
  g_autofree char *line = NULL;
  const char *arg;
  int out_fd, err_fd, status;
  GPid pid;
  va_list ap;

  g_ptr_array_add (argv, (gpointer)g_getenv ("OSI_BACKUP_SERVER"));
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, &err_fd, &error));
  g_assert_no_error (error);
  out = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (out, TRUE);
  err = g_io_channel_unix_new (err_fd);
  g_io_channel_set_close_on_unref (err, TRUE);

  /* a URL means it started: that is the failure */
  g_io_channel_read_line (out, &line, NULL, NULL, NULL);
  if (line != NULL)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      g_error ("the server started (%s) when it should have refused", line);
    }
  g_io_channel_read_to_end (err, out_stderr, NULL, NULL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_start_refused (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *open_token = g_build_filename (f->tmp, "token-open", NULL);
  g_autofree char *message = NULL;

  g_assert_true (g_file_set_contents_full (open_token, TOKEN, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  g_assert_cmpint (chmod (open_token, 0644), ==, 0);

  /* a token file others can read */
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--listen", "127.0.0.1:0", "--token-file", open_token, NULL), !=, 0);
  g_assert_nonnull (strstr (message, open_token));
  g_assert_nonnull (strstr (message, "600"));
  g_clear_pointer (&message, g_free);

  /* no token at all */
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--listen", "127.0.0.1:0", NULL), !=, 0);
  g_assert_cmpuint (strlen (message), >, 0);
  g_clear_pointer (&message, g_free);

  /* --no-auth beyond loopback */
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--listen", "0.0.0.0:0", "--no-auth", NULL), !=, 0);
  g_assert_nonnull (strstr (message, "--no-auth"));
  g_clear_pointer (&message, g_free);

  /* usage */
  g_assert_cmpint (run_refused (&message, "--backup-dir", f->backups, NULL), ==, 2);
  g_clear_pointer (&message, g_free);
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--max-upload", "lots", NULL), ==, 2);
  g_clear_pointer (&message, g_free);
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--max-connections", "0", NULL), ==, 2);
  g_assert_nonnull (strstr (message, "--max-connections"));
  g_clear_pointer (&message, g_free);
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--header-timeout", "soon", NULL), ==, 2);
  g_assert_nonnull (strstr (message, "--header-timeout"));
  g_clear_pointer (&message, g_free);
  g_assert_cmpint (run_refused (&message, "--data-dir", f->data, "--backup-dir", f->backups,
                                "--idle-timeout", "-1", NULL), ==, 2);
  g_assert_nonnull (strstr (message, "--idle-timeout"));
}

static void
test_no_auth_loopback (Fixture       *f,
                       gconstpointer  user_data)
{
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, NULL, "--no-auth", NULL);
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup", AUTH_NONE, NULL, 0);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/health", AUTH_NONE, NULL, 0);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_true (json_object_has_member (osi_test_response_object (r), "backup_count"));
  }
}

/* --no-auth: one request with the Host, Origin and body given (NULL:
 * libsoup's own Host, no Origin, no body). */
static OsiTestResponse *
local_request (Fixture    *f,
               const char *method,
               const char *path,
               const char *host,
               const char *origin,
               const char *content_type,
               const char *body)
{
  g_autoptr(SoupMessage) msg = new_message (f, method, path, AUTH_NONE);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (host != NULL)
    soup_message_headers_replace (headers, "Host", host);
  if (origin != NULL)
    soup_message_headers_replace (headers, "Origin", origin);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  return osi_test_send (f->session, msg, FALSE);
}

static guint
server_port (Fixture *f)
{
  const char *colon = strrchr (f->server->url, ':');

  g_assert_nonnull (colon);
  return (guint)g_ascii_strtoull (colon + 1, NULL, 10);
}

/* Without a token, a request that names the server otherwise than by a
 * loopback address and its port (a page on a DNS-rebound name) is
 * refused 403, reading and restoring alike; with a token, any Host goes
 * (a reverse proxy's). */
static void
test_no_auth_host (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *body = restore_body ("backup_20250101_000000.tar.zst");
  g_autofree char *own = NULL;
  g_autofree char *other_port = NULL;
  g_autofree char *rebound = NULL;
  g_autofree char *rebound_sub = NULL;
  g_autofree char *localhost = NULL;
  g_autofree char *localhost_upper = NULL;
  g_autofree char *ipv6 = NULL;
  guint port;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, NULL, "--no-auth", NULL);
  port = server_port (f);
  own = g_strdup_printf ("127.0.0.1:%u", port);
  other_port = g_strdup_printf ("127.0.0.1:%u", port == 65535 ? 1 : port + 1);
  rebound = g_strdup_printf ("attacker.example:%u", port);
  rebound_sub = g_strdup_printf ("localhost.attacker.example:%u", port);
  localhost = g_strdup_printf ("localhost:%u", port);
  localhost_upper = g_strdup_printf ("LocalHost:%u", port);
  ipv6 = g_strdup_printf ("[::1]:%u", port);

  {
    const char *refused[] = { rebound, rebound_sub, "attacker.example", other_port, "127.0.0.1", "" };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr(OsiTestResponse) list = local_request (f, "GET", "/api/rag/backup", refused[i], NULL, NULL, NULL);
        g_autoptr(OsiTestResponse) health = local_request (f, "GET", "/api/health", refused[i], NULL, NULL, NULL);
        g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", refused[i], NULL,
                                               "application/json", body);

        g_test_message ("Host “%s”: %u %u %u", refused[i], list->status, health->status, r->status);
        assert_error (list, SOUP_STATUS_FORBIDDEN);
        assert_error (health, SOUP_STATUS_FORBIDDEN);
        assert_error (r, SOUP_STATUS_FORBIDDEN);
      }
  }
  assert_data_is (f, f->reference);

  {
    const char *accepted[] = { own, localhost, localhost_upper, ipv6 };

    for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
      {
        g_autoptr(OsiTestResponse) r = local_request (f, "GET", "/api/rag/backup", accepted[i], NULL, NULL, NULL);

        osi_test_response_assert_status (r, SOUP_STATUS_OK);
      }
  }
  {
    g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", localhost, NULL,
                                           "application/json", body);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  assert_data_is (f, f->other);

  /* with a token, the Host is not checked */
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, osi_test_server_free);
  start (f, NULL, NULL);
  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", "/api/rag/backup", AUTH_GOOD);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Host", "backups.example.org");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
}

/* Without a token, a request from a web page of another origin (a
 * cross-site form or fetch: its Origin) is refused 403; from the
 * server's own origin it goes. */
static void
test_no_auth_origin (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *body = restore_body ("backup_20250101_000000.tar.zst");
  g_autofree char *same_http = NULL;
  g_autofree char *same_https = NULL;
  g_autofree char *other_port = NULL;
  g_autofree char *by_name = NULL;
  guint port;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, NULL, "--no-auth", NULL);
  port = server_port (f);
  same_http = g_strdup_printf ("http://127.0.0.1:%u", port);
  same_https = g_strdup_printf ("https://127.0.0.1:%u", port);
  other_port = g_strdup_printf ("http://127.0.0.1:%u", port == 65535 ? 1 : port + 1);
  /* the same server under another name is another origin */
  by_name = g_strdup_printf ("http://localhost:%u", port);

  {
    const char *refused[] = { "https://attacker.example", "http://attacker.example:80", other_port, by_name,
                              "null", "file://", "http://127.0.0.1" };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", NULL, refused[i],
                                               "application/json", body);
        g_autoptr(OsiTestResponse) list = local_request (f, "GET", "/api/rag/backup", NULL, refused[i], NULL, NULL);
        g_autoptr(OsiTestResponse) del = local_request (f, "DELETE", "/api/rag/backup?filename=backup_20250101_000000.tar.zst",
                                                 NULL, refused[i], NULL, NULL);

        g_test_message ("Origin “%s”: %u %u %u", refused[i], r->status, list->status, del->status);
        assert_error (r, SOUP_STATUS_FORBIDDEN);
        assert_error (list, SOUP_STATUS_FORBIDDEN);
        assert_error (del, SOUP_STATUS_FORBIDDEN);
      }
  }
  assert_data_is (f, f->reference);
  g_assert_cmpuint (count_visible (f), ==, 1);

  {
    g_autoptr(OsiTestResponse) r = local_request (f, "GET", "/api/rag/backup", NULL, same_https, NULL, NULL);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", NULL, same_http,
                                           "application/json", body);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  assert_data_is (f, f->other);
}

/* Without a token, the restore takes its JSON only as application/json:
 * what a page elsewhere can post without asking first (a form,
 * text/plain) is refused 415. */
static void
test_no_auth_json_only (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autofree char *body = restore_body ("backup_20250101_000000.tar.zst");

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, NULL, "--no-auth", NULL);
  {
    const char *refused[] = { "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
                              "multipart/form-data; boundary=x", "application/octet-stream", "application/jsonx" };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", NULL, NULL, refused[i], body);

        g_test_message ("Content-Type “%s”: %u", refused[i], r->status);
        assert_error (r, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
      }
  }
  {
    /* none at all */
    g_autoptr(SoupMessage) msg = new_message (f, "POST", "/api/rag/backup/restore", AUTH_NONE);
    g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_set_request_body_from_bytes (msg, NULL, bytes);
    soup_message_headers_remove (soup_message_get_request_headers (msg), "Content-Type");
    r = osi_test_send (f->session, msg, FALSE);
    assert_error (r, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  }
  assert_data_is (f, f->reference);
  {
    g_autoptr(OsiTestResponse) r = local_request (f, "POST", "/api/rag/backup/restore", NULL, NULL,
                                           "Application/JSON; charset=utf-8", body);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  assert_data_is (f, f->other);
}

/* The --on-restore command runs without the token: neither
 * OSI_BACKUP_TOKEN nor any other OSI_BACKUP_TOKEN* variable reaches it;
 * the rest of the environment does. */
static void
test_hook_environment (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *dump = g_build_filename (f->tmp, "hook-env", NULL);
  g_autofree char *q_dump = g_shell_quote (dump);
  g_autofree char *hook = g_strdup_printf ("env > %s.part && mv %s.part %s", q_dump, q_dump, q_dump);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean canary = FALSE, restored = FALSE;
  gint64 deadline;

  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  g_setenv ("OSI_BACKUP_TOKEN", "env-secret-1", TRUE);
  g_setenv ("OSI_BACKUP_TOKEN_FILE", "/run/secrets/osi-token", TRUE);
  g_setenv ("OSI_BACKUP_TOKEN_PREVIOUS", "env-secret-2", TRUE);
  g_setenv ("OSI_BACKUP_HOOK_CANARY", "kept", TRUE);
  start (f, "--on-restore", hook);
  g_unsetenv ("OSI_BACKUP_TOKEN");
  g_unsetenv ("OSI_BACKUP_TOKEN_FILE");
  g_unsetenv ("OSI_BACKUP_TOKEN_PREVIOUS");
  g_unsetenv ("OSI_BACKUP_HOOK_CANARY");

  {
    g_autoptr(OsiTestResponse) r = restore (f, "backup_20250101_000000.tar.zst");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!g_file_test (dump, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_true (g_file_get_contents (dump, &text, NULL, NULL));

  g_assert_null (strstr (text, "env-secret"));
  g_assert_null (strstr (text, TOKEN));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "OSI_BACKUP_TOKEN"))
        g_error ("the reload command got %s", lines[i]);
      canary |= g_strcmp0 (lines[i], "OSI_BACKUP_HOOK_CANARY=kept") == 0;
      restored |= g_strcmp0 (lines[i], "OSI_BACKUP_RESTORED=backup_20250101_000000.tar.zst") == 0;
    }
  g_assert_true (canary);
  g_assert_true (restored);
}

static void
test_token_from_environment (Fixture       *f,
                             gconstpointer  user_data)
{
  g_setenv ("OSI_BACKUP_TOKEN", "  env-token-77 \n", TRUE);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, NULL, NULL);
  g_unsetenv ("OSI_BACKUP_TOKEN");
  {
    g_autoptr(SoupMessage) msg = new_message (f, "GET", "/api/rag/backup", AUTH_NONE);
    g_autoptr(OsiTestResponse) r = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer env-token-77");
    r = osi_test_send (f->session, msg, FALSE);
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "GET", "/api/rag/backup", AUTH_GOOD, NULL, 0);
    assert_error (r, SOUP_STATUS_UNAUTHORIZED);
  }
}

static int
run_curl (const char *curl,
          const char *url,
          const char *ca_file,
          char      **out_body)
{
  g_autoptr(GError) error = NULL;
  const char *argv[8] = { curl, "-s", "-H", "Authorization: Bearer " TOKEN, url, NULL };
  int status = 0;

  if (ca_file != NULL)
    {
      argv[5] = "--cacert";
      argv[6] = ca_file;
    }
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               out_body, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* curl with the token, METHOD, optional JSON body and output file; returns
 * the HTTP status curl saw and the body (unless written to out_file). */
static guint
curl_call (Fixture    *f,
           const char *curl,
           const char *method,
           const char *path_and_query,
           const char *json_body,
           const char *out_file,
           JsonNode  **out_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autofree char *status_line = NULL;
  char *last_line;
  int status = 0;

  g_ptr_array_add (argv, g_strdup (curl));
  g_ptr_array_add (argv, g_strdup ("-s"));
  g_ptr_array_add (argv, g_strdup ("-X"));
  g_ptr_array_add (argv, g_strdup (method));
  g_ptr_array_add (argv, g_strdup ("-H"));
  g_ptr_array_add (argv, g_strdup ("Authorization: Bearer " TOKEN));
  if (json_body != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-H"));
      g_ptr_array_add (argv, g_strdup ("Content-Type: application/json"));
      g_ptr_array_add (argv, g_strdup ("--data-binary"));
      g_ptr_array_add (argv, g_strdup (json_body));
    }
  if (out_file != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-o"));
      g_ptr_array_add (argv, g_strdup (out_file));
    }
  g_ptr_array_add (argv, g_strdup ("-w"));
  g_ptr_array_add (argv, g_strdup ("\n%{http_code}"));
  g_ptr_array_add (argv, g_strconcat (f->server->url, path_and_query, NULL));
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  last_line = strrchr (out, '\n');
  g_assert_nonnull (last_line);
  *last_line = '\0';
  if (out_json != NULL)
    {
      *out_json = json_from_string (out, &error);
      g_assert_no_error (error);
      g_assert_nonnull (*out_json);
    }
  return (guint)g_ascii_strtoull (last_line + 1, NULL, 10);
}

/* The OSI dashboard's own calls, as its web panel makes them, from an HTTP
 * client that is not ours: list, create, download with ?filename=,
 * restore with {"backupFile"}, delete. Only the members the dashboard
 * reads are checked, so that the test stands for it. */
static void
test_dashboard_api (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *curl = g_find_program_in_path ("curl");
  g_autofree char *name = NULL;
  g_autofree char *saved = g_build_filename (f->tmp, "saved.tar.zst", NULL);
  g_autofree char *encoded = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *saved_data = NULL;
  g_autofree char *stored_data = NULL;
  gsize saved_len = 0, stored_len = 0;
  g_auto(GStrv) safeties = g_new0 (char *, 3);
  JsonNode *json = NULL;
  JsonObject *root;

  if (curl == NULL)
    {
      osi_test_missing ("needs curl");
      return;
    }
  put_archive (f, f->other, "backup_20250101_000000.tar.zst");
  start (f, NULL, NULL);

  /* list: {"backups": [{"name", "date"}...]} */
  g_assert_cmpuint (curl_call (f, curl, "GET", "/api/rag/backup", NULL, NULL, &json), ==, 200);
  root = json_node_get_object (json);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "backups")), ==, 1);
  g_clear_pointer (&json, json_node_unref);

  /* create */
  g_assert_cmpuint (curl_call (f, curl, "POST", "/api/rag/backup", NULL, NULL, &json), ==, 201);
  root = json_node_get_object (json);
  g_assert_cmpstr (json_object_get_string_member (root, "status"), ==, "success");
  name = g_strdup (json_object_get_string_member (json_object_get_object_member (root, "backup"), "name"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (curl_call (f, curl, "GET", "/api/rag/backup", NULL, NULL, &json), ==, 200);
  {
    JsonArray *backups = json_object_get_array_member (json_node_get_object (json), "backups");
    JsonObject *newest = json_array_get_object_element (backups, 0);

    g_assert_cmpuint (json_array_get_length (backups), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (newest, "name"), ==, name);
    g_assert_nonnull (json_object_get_string_member (newest, "date"));
  }
  g_clear_pointer (&json, json_node_unref);

  /* download ?filename= : the very file */
  encoded = g_uri_escape_string (name, NULL, FALSE);
  path = g_strconcat ("/api/rag/backup?filename=", encoded, NULL);
  g_assert_cmpuint (curl_call (f, curl, "GET", path, NULL, saved, NULL), ==, 200);
  {
    g_autofree char *stored = backup_file (f, name);

    g_assert_true (g_file_get_contents (saved, &saved_data, &saved_len, NULL));
    g_assert_true (g_file_get_contents (stored, &stored_data, &stored_len, NULL));
    g_assert_cmpmem (saved_data, saved_len, stored_data, stored_len);
  }

  /* restore {"backupFile"} replaces the data; the backup just made brings it back */
  g_assert_cmpuint (curl_call (f, curl, "POST", "/api/rag/backup/restore",
                               "{\"backupFile\": \"backup_20250101_000000.tar.zst\"}", NULL, &json), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"), ==, "success");
  safeties[0] = g_strdup (json_object_get_string_member (json_node_get_object (json), "safety_backup"));
  g_clear_pointer (&json, json_node_unref);
  assert_data_is (f, f->other);
  body = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);
  g_assert_cmpuint (curl_call (f, curl, "POST", "/api/rag/backup/restore", body, NULL, &json), ==, 200);
  safeties[1] = g_strdup (json_object_get_string_member (json_node_get_object (json), "safety_backup"));
  g_clear_pointer (&json, json_node_unref);
  assert_data_is (f, f->reference);
  /* their safety backups, made after the answers */
  for (guint i = 0; safeties[i] != NULL; i++)
    osi_test_server_wait_listed (f->server, safeties[i], "safety");

  /* delete ?filename= */
  g_assert_cmpuint (curl_call (f, curl, "DELETE", path, NULL, NULL, &json), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"), ==, "success");
  g_clear_pointer (&json, json_node_unref);
  {
    g_autofree char *stored = backup_file (f, name);

    g_assert_false (g_file_test (stored, G_FILE_TEST_EXISTS));
  }
  /* an unknown name afterwards: 404 with {"detail"} */
  g_assert_cmpuint (curl_call (f, curl, "DELETE", path, NULL, NULL, &json), ==, 404);
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (json), "detail"));
  g_clear_pointer (&json, json_node_unref);
  assert_no_leftovers (f);
}

/* The client side is curl: GIO's GnuTLS module, once loaded, makes GCC's
 * LeakSanitizer crash at exit (it misreads GnuTLS's dynamic TLS), so
 * neither this program nor, for this test only, the server checks leaks
 * with it. */
static void
test_tls (Fixture       *f,
          gconstpointer  user_data)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *curl = g_find_program_in_path ("curl");
  g_autofree char *cert = g_build_filename (f->tmp, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (f->tmp, "key.pem", NULL);
  g_autofree char *saved_asan = g_strdup (g_getenv ("ASAN_OPTIONS"));
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (openssl == NULL || curl == NULL)
    {
      osi_test_missing ("needs openssl and curl");
      return;
    }
  {
    const char *argv[] = { openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", key, "-out", cert, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                 NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  g_setenv ("ASAN_OPTIONS", "detect_leaks=0", TRUE);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN,
                                     "--tls-cert", cert, "--tls-key", key, NULL);
  if (saved_asan != NULL)
    g_setenv ("ASAN_OPTIONS", saved_asan, TRUE);
  else
    g_unsetenv ("ASAN_OPTIONS");
  g_assert_true (g_str_has_prefix (f->server->url, "https://127.0.0.1:"));
  url = g_strconcat (f->server->url, "/api/rag/backup", NULL);

  /* an untrusted certificate is refused by the client (curl: 60)... */
  g_assert_cmpint (run_curl (curl, url, NULL, NULL), ==, 60);
  /* ...and with it trusted, the API answers over TLS */
  g_assert_cmpint (run_curl (curl, url, cert, &body), ==, 0);
  g_assert_nonnull (strstr (body, "\"backups\":[]"));
}

/* 10,000 backups: listed whole, newest first, then hashed in the
 * background. The time is reported, not judged: benchmarks judge it. */
static void
test_many_backups (Fixture       *f,
                   gconstpointer  user_data)
{
  const guint n = 10000;
  gint64 base = 1700000000;
  gboolean hashed = FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("backup_%05u.tar.zst", i);
      g_autofree char *path = backup_file (f, name);
      g_autofree char *text = g_strdup_printf ("backup %u", i);
      struct timespec times[2] = { { base + i, 0 }, { base + i, 0 } };
      int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);

      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (write (fd, text, strlen (text)), ==, (gssize)strlen (text));
      g_assert_cmpint (futimens (fd, times), ==, 0);
      close (fd);
    }
  start (f, NULL, NULL);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(OsiTestResponse) list = NULL;
      gint64 t0 = g_get_monotonic_time ();
      JsonArray *backups = list_backups (f, &list);
      gint64 t1 = g_get_monotonic_time ();

      g_test_message ("list of %u backups (round %u): %.1f ms", n, round, (double)(t1 - t0) / 1000.0);
      g_assert_cmpuint (json_array_get_length (backups), ==, n);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *expected = g_strdup_printf ("backup_%05u.tar.zst", n - 1 - i);
          JsonObject *entry = json_array_get_object_element (backups, i);

          g_autofree char *text = g_strdup_printf ("backup %u", n - 1 - i);

          g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, expected);
          g_assert_cmpint (json_object_get_int_member (entry, "size"), ==, (gint64)strlen (text));
        }
    }

  while (!hashed)
    {
      g_autoptr(OsiTestResponse) list = NULL;
      JsonArray *backups = list_backups (f, &list);

      hashed = TRUE;
      for (guint i = 0; i < n && hashed; i++)
        hashed = json_object_has_member (json_array_get_object_element (backups, i), "sha256");
      if (!hashed)
        g_usleep (50000);
    }
  {
    g_autofree char *path = backup_file (f, "backup_01234.tar.zst");
    g_autofree char *sha = osi_test_file_sha256 (path);
    g_autoptr(OsiTestResponse) r = get (f, "/api/rag/backup?filename=backup_01234.tar.zst");
    g_autofree char *digest = digest_header_for (sha);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Repr-Digest"), ==, digest);
  }
}

/* SIGTERM while backups wait to be hashed: a prompt, clean exit. */
static void
test_sigterm_while_hashing (Fixture       *f,
                            gconstpointer  user_data)
{
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("backup_202501%02u_000000.tar.zst", i + 1);
      g_autofree char *path = backup_file (f, name);
      int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (ftruncate (fd, 64 * (goffset)MIB), ==, 0);
      close (fd);
    }
  start (f, NULL, NULL);
  {
    g_autoptr(OsiTestResponse) list = NULL;
    g_assert_cmpuint (json_array_get_length (list_backups (f, &list)), ==, 20);
  }
  /* the teardown checks the exit status */
}

static guint64
proc_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, field);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

/* A 256 MiB download: the server's peak memory grows by far less. */
static void
test_download_constant_memory (Fixture       *f,
                               gconstpointer  user_data)
{
  const goffset size = 256 * (goffset)MIB;
  g_autofree char *path = backup_file (f, "big.tar.zst");
  g_autofree char *saved_asan = g_strdup (g_getenv ("ASAN_OPTIONS"));
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autofree guint8 *buffer = g_malloc (64 * 1024);
  char hex[OSI_SHA256_HEX_LEN + 1];
  g_autofree char *digest = NULL;
  guint64 rss_before, peak;
  goffset received = 0;
  gssize n;
  int fd;

  /* sparse: no disk spent */
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  close (fd);

  /* AddressSanitizer's quarantine would hold freed chunks and hide a flat
   * profile. */
  g_setenv ("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=4", TRUE);
  start (f, NULL, NULL);
  if (saved_asan != NULL)
    g_setenv ("ASAN_OPTIONS", saved_asan, TRUE);
  else
    g_unsetenv ("ASAN_OPTIONS");

  {
    g_autoptr(OsiTestResponse) r = get (f, "/api/health");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  rss_before = proc_status_kib (f->server->pid, "VmRSS:");

  msg = new_message (f, "GET", "/api/rag/backup?filename=big.tar.zst", AUTH_GOOD);
  stream = soup_session_send (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  while ((n = g_input_stream_read (stream, buffer, 64 * 1024, NULL, &error)) > 0)
    {
      osi_sha256_update (sha, buffer, (gsize)n);
      received += n;
    }
  g_assert_no_error (error);
  g_assert_cmpint (received, ==, size);
  osi_sha256_finish_hex (sha, hex);
  digest = digest_header_for (hex);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Repr-Digest"), ==, digest);

  peak = proc_status_kib (f->server->pid, "VmHWM:");
  g_test_message ("server RSS before %" G_GUINT64_FORMAT " KiB, peak %" G_GUINT64_FORMAT " KiB",
                  rss_before, peak);
  g_assert_cmpuint (peak, <, rss_before + 48 * 1024);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_BIG(path, func) \
  g_test_add ("/server/" path, Fixture, GUINT_TO_POINTER (16), fixture_setup, func, fixture_teardown)

  ADD ("health", test_health);
  ADD ("auth/required-everywhere", test_auth_required);
  ADD ("create-list-download", test_create_list_download);
  ADD ("list/follows-folder", test_list_follows_folder);
  ADD ("download/range", test_range);
  ADD ("download/constant-memory", test_download_constant_memory);
  ADD ("sha256/lazy", test_lazy_sha256);
  ADD ("delete", test_delete);
  ADD ("upload", test_upload);
  ADD ("upload/too-large", test_upload_too_large);
  ADD ("upload/no-space", test_upload_no_space);
  ADD ("verify", test_verify);
  ADD ("diff", test_diff);
  ADD ("restore", test_restore);
  ADD ("restore/refused", test_restore_refused);
  ADD ("restore/safety-resumed", test_restore_safety_resumed);
  ADD ("restore/safety-made-before", test_restore_safety_made_before);
  ADD ("restore/safety-name-taken", test_restore_safety_name_taken);
  ADD ("names/hostile", test_hostile_names);
  ADD ("not-found-and-methods", test_not_found_and_methods);
  ADD ("busy/during-reload-hook", test_busy_during_hook);
  ADD ("restore/hook-failure", test_hook_failure);
  ADD_BIG ("busy/create-and-restore-at-once", test_create_and_restore_at_once);
  ADD_BIG ("shutdown/during-create", test_sigterm_during_create);
  ADD_BIG ("shutdown/during-restore", test_sigterm_during_restore);
  ADD ("shutdown/while-hashing", test_sigterm_while_hashing);
  ADD ("start/leftovers-cleaned", test_leftovers_cleaned);
  ADD ("start/refused", test_start_refused);
  ADD ("start/no-auth-loopback", test_no_auth_loopback);
  ADD ("no-auth/host", test_no_auth_host);
  ADD ("no-auth/origin", test_no_auth_origin);
  ADD ("no-auth/json-only", test_no_auth_json_only);
  ADD ("restore/hook-environment", test_hook_environment);
  ADD ("start/token-from-environment", test_token_from_environment);
  ADD ("access-log", test_access_log);
  ADD ("tls", test_tls);
  ADD ("dashboard-api", test_dashboard_api);
  ADD ("list/ten-thousand", test_many_backups);

  return g_test_run ();
}
