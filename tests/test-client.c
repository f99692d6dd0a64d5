/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <utime.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "osi-archive.h"
#include "osi-client.h"
#include "osi-error.h"
#include "osi-test-client.h"

/* OsiClient against a real osi-backup-server on 127.0.0.1, port 0, and
 * against the stand-in of the deployed OSI backend (docs/api.md §5,
 * tests/osi-fastapi-backend.py): /client/fastapi/…. */

#define TOKEN "client-test-token"

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *downloads;
  OsiTestServer *server;
  OsiClient     *client;
} Fixture;

static void
fixture_start (Fixture    *f,
               guint64     data_size,
               const char *extra1,
               const char *extra2)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, data_size, 7);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->downloads = g_build_filename (f->tmp, "downloads", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->downloads, 0700), ==, 0);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, extra1, extra2, NULL);
  f->client = osi_client_new (f->server->url, TOKEN);

  /* Serving, not only listening: a test that never calls the server
   * would otherwise stop it while it starts. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) health = osi_test_client_health (f->client, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (health);
  }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  fixture_start (f, 1024 * 1024, NULL, NULL);
}

static void
fixture_stop (Fixture *f)
{
  g_assert_finalize_object (f->client);
  osi_test_server_finish (f->server);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->downloads);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  fixture_stop (f);
}

/* ------------------------------------------------------------------------ */
/* Calls waited for (osi-test-client.h), and what they report               */

/* The safety backup's name, NULL on an error. */
static char *
do_restore (OsiClient   *client,
            const char  *name,
            GError     **error)
{
  char *safety = NULL;

  if (!osi_test_client_restore (client, name, NULL, &safety, NULL, error))
    return NULL;
  g_assert_nonnull (safety);
  return safety;
}

typedef struct
{
  guint         calls;
  guint64       first_done;     /* done at the first call with done > 0 */
  guint64       last_done;
  guint64       last_total;
  double        last_rate;
  gint64        first_time;
  gint64        last_time;
  guint         quick_calls;    /* closer than 90 ms to the one before */
  gboolean      decreasing;
  GCancellable *cancel_at_first;
} Progress;

static void
on_progress (guint64  done,
             guint64  total,
             double   rate,
             gpointer user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_assert_cmpfloat (rate, >=, 0);
  if (p->calls > 0)
    {
      if (done < p->last_done)
        p->decreasing = TRUE;
      if (now - p->last_time < 90 * 1000)
        p->quick_calls++;
    }
  else
    p->first_time = now;
  if (p->first_done == 0 && done > 0)
    {
      p->first_done = done;
      if (p->cancel_at_first != NULL)
        g_cancellable_cancel (p->cancel_at_first);
    }
  p->calls++;
  p->last_done = done;
  p->last_total = total;
  p->last_rate = rate;
  p->last_time = now;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static void
assert_server_detail (const GError *error)
{
  /* Every error of docs/api.md §2.4 carries {"detail": …}; the client keeps it. */
  g_assert_nonnull (strstr (error->message, "(server: "));
}

static char *
create_backup (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = osi_test_client_create_backup (f->client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  return g_strdup (osi_backup_info_get_name (info));
}

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
static guint16
closed_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint16 port;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)&addr, &len), ==, 0);
  port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

/* ------------------------------------------------------------------------ */
/* Success paths                                                            */

static void
test_health (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(OsiClient) anonymous = osi_client_new (f->server->url, NULL);
  g_autoptr(JsonObject) public = NULL;

  health = osi_test_client_health (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (health, "status"), ==, "ok");
  g_assert_true (json_object_has_member (health, "version"));
  g_assert_true (json_object_has_member (health, "free_bytes"));
  g_assert_true (json_object_has_member (health, "backup_count"));

  /* No token needed for health, and then no private figures. */
  public = osi_test_client_health (anonymous, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (public, "status"), ==, "ok");
  g_assert_false (json_object_has_member (public, "free_bytes"));
}

static void
test_base_url (void)
{
  g_autoptr(OsiClient) a = osi_client_new ("http://127.0.0.1:8000/", NULL);
  g_autoptr(OsiClient) b = osi_client_new ("https://user:secret@example.org/osi//", "t");
  g_autoptr(OsiClient) bad = osi_client_new ("ftp://example.org", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) health = NULL;

  g_assert_cmpstr (osi_client_get_base_url (a), ==, "http://127.0.0.1:8000");
  g_assert_cmpstr (osi_client_get_base_url (b), ==, "https://example.org/osi");

  health = osi_test_client_health (bad, NULL, &error);
  g_assert_null (health);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
}

/* An answer identical to the last gives back the very same backups (the
 * window then has nothing to redo); a changed one gives new objects for
 * the backups that changed, and the same for the others (a refresh of
 * 100,000 backups never holds two lists of objects). */
static void
test_list_unchanged (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) first = NULL;
  g_autoptr(OsiBackupInfo) second = NULL;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  g_autoptr(GPtrArray) c = NULL;
  g_autofree char *path = NULL;
  struct utimbuf times = { 1700000000, 1700000000 };

  first = osi_test_client_create_backup (f->client, &error);
  g_assert_no_error (error);
  second = osi_test_client_create_backup (f->client, &error);
  g_assert_no_error (error);
  a = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  b = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmpuint (b->len, ==, 2);
  g_assert_true (a != b);
  for (guint i = 0; i < a->len; i++)
    g_assert_true (a->pdata[i] == b->pdata[i]);

  /* The first backup's date changes on the server: a new list, with it
   * last and dated 2023-11-14. */
  path = g_build_filename (f->backups, osi_backup_info_get_name (first), NULL);
  g_assert_cmpint (utime (path, &times), ==, 0);
  c = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->len, ==, 2);
  g_assert_cmpstr (osi_backup_info_get_name (c->pdata[1]), ==, osi_backup_info_get_name (first));
  g_assert_cmpint (g_date_time_to_unix (osi_backup_info_get_date (c->pdata[1])), ==, 1700000000);
  g_assert_true (c->pdata[0] == b->pdata[0]);
  g_assert_true (c->pdata[1] != b->pdata[0] && c->pdata[1] != b->pdata[1]);
}

static void
test_list_create_verify_delete (Fixture       *f,
                                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) empty = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autofree char *on_disk = NULL;
  OsiBackupInfo *listed;

  before = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, 0);

  info = osi_test_client_create_backup (f->client, &error);
  g_assert_no_error (error);
  g_assert_true (osi_backup_name_is_valid (osi_backup_info_get_name (info)));
  g_assert_cmpint (osi_backup_info_get_size (info), >, 0);
  g_assert_nonnull (osi_backup_info_get_sha256 (info));
  on_disk = g_build_filename (f->backups, osi_backup_info_get_name (info), NULL);
  g_assert_cmpint (osi_test_file_size (on_disk), ==, osi_backup_info_get_size (info));

  after = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 1);
  listed = g_ptr_array_index (after, 0);
  g_assert_cmpstr (osi_backup_info_get_name (listed), ==, osi_backup_info_get_name (info));
  g_assert_cmpint (osi_backup_info_get_size (listed), ==, osi_backup_info_get_size (info));
  g_assert_cmpstr (osi_backup_info_get_sha256 (listed), ==, osi_backup_info_get_sha256 (info));

  report = osi_test_client_verify (f->client, osi_backup_info_get_name (info), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (report));
  g_assert_true (json_object_has_member (json_node_get_object (report), "verdict"));

  g_assert_true (osi_test_client_delete (f->client, osi_backup_info_get_name (info), NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (on_disk, G_FILE_TEST_EXISTS));
  empty = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_restore (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *added = g_build_filename (f->data, "data", "added-after-backup.txt", NULL);
  g_autofree char *safety = NULL;
  g_autoptr(GPtrArray) list = NULL;
  gboolean found = FALSE;

  g_assert_true (g_file_set_contents (added, "new", -1, NULL));

  safety = do_restore (f->client, name, &error);
  g_assert_no_error (error);
  g_assert_true (osi_backup_name_is_valid (safety));
  g_assert_cmpstr (safety, !=, name);
  g_assert_false (g_file_test (added, G_FILE_TEST_EXISTS));

  /* made after the swap: listed once whole */
  osi_test_server_wait_listed (f->server, safety, "safety");
  list = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (osi_backup_info_get_name (g_ptr_array_index (list, i)), safety) == 0)
      found = TRUE;
  g_assert_true (found);
}

static void
test_download (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *on_server = g_build_filename (f->backups, name, NULL);
  g_autofree char *expected = g_build_filename (f->downloads, name, NULL);
  g_autofree char *path = NULL;
  Progress progress = { 0 };
  struct stat st;

  path = osi_test_client_download (f->client, name, f->downloads, on_progress, &progress, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, expected);
  osi_test_assert_files_equal (path, on_server);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
  /* Backups hold the whole configuration: for their owner only. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);

  g_assert_cmpuint (progress.calls, >, 0);
  g_assert_false (progress.decreasing);
  g_assert_cmpuint (progress.last_done, ==, (guint64)osi_test_file_size (on_server));
  g_assert_cmpuint (progress.last_total, ==, (guint64)osi_test_file_size (on_server));
}

/* The list promised a backup; the server then serves other bytes under
 * that name, with a Repr-Digest of its own that matches them: the
 * client keeps nothing under the final name. */
static void
test_download_not_as_listed (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *on_server = g_build_filename (f->backups, name, NULL);
  g_autofree char *final = g_build_filename (f->downloads, name, NULL);
  g_autofree char *part = g_strconcat (final, ".part", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  listed = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  /* Replaced on the server, same name, same size, other bytes. */
  g_assert_true (g_file_get_contents (on_server, &contents, &len, NULL));
  contents[len / 2] ^= 0x20;
  g_assert_true (g_file_set_contents (on_server, contents, (gssize)len, NULL));

  path = osi_test_client_download (f->client, name, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY);
  g_test_message ("INTEGRITY: %s", error->message);
  g_assert_nonnull (strstr (error->message, "list"));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* Listed again, it is the backup the list shows. */
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  path = osi_test_client_download (f->client, name, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  osi_test_assert_files_equal (path, on_server);
}

/* Whether a name containing part is in dir: the server at work. */
static gboolean
has_entry_containing (const char *dir,
                      const char *part)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean found = FALSE;

  while (d != NULL && !found && (name = g_dir_read_name (d)) != NULL)
    found = strstr (name, part) != NULL;
  if (d != NULL)
    g_dir_close (d);
  return found;
}

/* docs/api.md §5.4: a restore whose answer is lost may have been done; the
 * error must not say it failed, but tell to look before trying again.
 * The server is killed while it stages the backup, before its swap. */
static void
test_restore_answer_lost (void)
{
  Fixture f = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *data_parent = NULL;
  gint64 deadline;

  fixture_start (&f, 32 * 1024 * 1024, NULL, NULL);
  name = create_backup (&f);
  osi_client_restore_async (f.client, name, NULL, osi_test_store_result, &result);
  deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  data_parent = g_path_get_dirname (f.data);
  while (!has_entry_containing (data_parent, ".osi-staging."))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_null (result);
      g_main_context_iteration (NULL, FALSE);
    }
  osi_test_server_kill (f.server);

  g_assert_false (osi_client_restore_finish (f.client, osi_test_wait_result (&result, "the answer"), &safety, NULL,
                                             &error));
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("LOST: %s", error->message);
  g_assert_nonnull (strstr (error->message, "may have been done"));
  g_assert_null (strstr (error->message, "Cannot reach"));
  /* The result holds the client. */
  g_clear_object (&result);
  fixture_stop (&f);
}

static void
test_download_existing (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *existing = g_build_filename (f->downloads, name, NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_file_set_contents (existing, "keep me", -1, NULL));
  path = osi_test_client_download (f->client, name, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL);
  g_test_message ("LOCAL: %s", error->message);
  g_assert_nonnull (strstr (error->message, name));
  g_assert_true (g_file_get_contents (existing, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
}

static void
test_upload (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *on_server = g_build_filename (f->backups, name, NULL);
  g_autofree char *copy = g_build_filename (f->downloads, "uploaded_copy.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *uploaded = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GPtrArray) list = NULL;
  Progress progress = { 0 };
  gsize len = 0;

  g_assert_true (g_str_has_suffix (name, ".tar.zst"));
  g_assert_true (g_file_get_contents (on_server, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (copy, contents, (gssize)len, NULL));

  info = osi_test_client_upload (f->client, copy, on_progress, &progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_name (info), ==, "uploaded_copy.tar.zst");
  g_assert_cmpint (osi_backup_info_get_size (info), ==, (gint64)len);
  uploaded = g_build_filename (f->backups, "uploaded_copy.tar.zst", NULL);
  osi_test_assert_files_equal (uploaded, on_server);

  g_assert_cmpuint (progress.calls, >, 0);
  g_assert_false (progress.decreasing);
  g_assert_cmpuint (progress.last_done, ==, len);
  g_assert_cmpuint (progress.last_total, ==, len);

  list = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);

  /* The same name again: the server's 409 says the name is taken, not
   * that something is running. */
  g_clear_object (&info);
  info = osi_test_client_upload (f->client, copy, NULL, NULL, NULL, &error);
  g_assert_null (info);
  g_test_message ("EXISTS: %s", error->message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "uploaded_copy.tar.zst"));
  g_assert_null (strstr (error->message, "running"));
  osi_test_assert_files_equal (uploaded, on_server);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

static void
test_unauthorized (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(OsiClient) wrong = osi_client_new (f->server->url, "not-the-token");
  g_autoptr(OsiClient) none = osi_client_new (f->server->url, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *path = NULL;

  list = osi_test_client_list (wrong, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_test_message ("UNAUTHORIZED: %s", error->message);
  g_assert_nonnull (strstr (error->message, "token"));
  g_assert_null (strstr (error->message, "not-the-token"));
  assert_server_detail (error);
  g_clear_error (&error);

  info = osi_test_client_create_backup (none, &error);
  g_assert_null (info);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_test_message ("UNAUTHORIZED: %s", error->message);
  g_clear_error (&error);

  path = osi_test_client_download (wrong, "backup_20260101_000000.tar.zst", f->downloads, NULL, NULL, NULL, NULL,
                                   &error);
  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_test_message ("UNAUTHORIZED: %s", error->message);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 0);
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 0);
}

static void
test_not_found (Fixture       *f,
                gconstpointer  user_data)
{
  const char *missing = "backup_19990101_000000.tar.zst";
  g_autoptr(GError) error = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) report = NULL;

  safety = do_restore (f->client, missing, &error);
  g_assert_null (safety);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  g_assert_nonnull (strstr (error->message, missing));
  assert_server_detail (error);
  g_clear_error (&error);

  g_assert_false (osi_test_client_delete (f->client, missing, NULL, &error));
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  assert_server_detail (error);
  g_clear_error (&error);

  report = osi_test_client_verify (f->client, missing, NULL, &error);
  g_assert_null (report);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  g_clear_error (&error);

  /* No .part for a backup that is not there. */
  path = osi_test_client_download (f->client, missing, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  assert_server_detail (error);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 0);
}

static void
test_bad_name (Fixture       *f,
               gconstpointer  user_data)
{
  const char *names[] = { "../x", "a/b", "", ".hidden", "%2e%2e%2f", "a\nb", "x..y" };
  g_autofree char *long_name = g_strnfill (300, 'a');
  g_autofree char *hidden = g_build_filename (f->downloads, ".hidden.tar.zst", NULL);

  for (guint i = 0; i <= G_N_ELEMENTS (names); i++)
    {
      const char *name = i < G_N_ELEMENTS (names) ? names[i] : long_name;
      g_autoptr(GError) error = NULL;
      g_autofree char *safety = NULL;
      g_autofree char *path = NULL;
      g_autoptr(JsonNode) report = NULL;

      safety = do_restore (f->client, name, &error);
      g_assert_null (safety);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_test_message ("BAD_REQUEST: %s", error->message);
      g_clear_error (&error);

      g_assert_false (osi_test_client_delete (f->client, name, NULL, &error));
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_test_message ("BAD_REQUEST: %s", error->message);
      g_clear_error (&error);

      report = osi_test_client_verify (f->client, name, NULL, &error);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_test_message ("BAD_REQUEST: %s", error->message);
      g_clear_error (&error);

      path = osi_test_client_download (f->client, name, f->downloads, NULL, NULL, NULL, NULL, &error);
      g_assert_null (path);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_test_message ("BAD_REQUEST: %s", error->message);
      /* Shown without its control characters. */
      g_assert_null (strchr (error->message, '\n'));
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(OsiBackupInfo) info = NULL;

    g_assert_true (g_file_set_contents (hidden, "x", -1, NULL));
    info = osi_test_client_upload (f->client, hidden, NULL, NULL, NULL, &error);
    g_assert_null (info);
    g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
    g_test_message ("BAD_REQUEST: %s", error->message);
  }

  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
}

static void
test_upload_missing_file (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *missing = g_build_filename (f->downloads, "nothing.tar.zst", NULL);

  info = osi_test_client_upload (f->client, missing, NULL, NULL, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL);
  g_test_message ("LOCAL: %s", error->message);
  g_assert_nonnull (strstr (error->message, missing));
}

static void
test_integrity (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *on_server = g_build_filename (f->backups, name, NULL);
  g_autofree char *tampered = g_build_filename (f->downloads, "tampered.tar.zst", NULL);
  g_autofree char *kept = g_build_filename (f->backups, "tampered.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (on_server, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 1024);
  for (gsize i = len / 2; i < len / 2 + 16; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (tampered, contents, (gssize)len, NULL));

  info = osi_test_client_upload (f->client, tampered, NULL, NULL, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY);
  g_test_message ("INTEGRITY: %s", error->message);
  assert_server_detail (error);
  g_assert_false (g_file_test (kept, G_FILE_TEST_EXISTS));
}

/* What a restore would change, as the server sees it and as the library
 * computes it here from the same files. */
static void
test_diff (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = create_backup (f);
  g_autofree char *other_parent = g_build_filename (f->tmp, "other", NULL);
  g_autofree char *other = NULL;
  g_autofree char *other_backup = g_build_filename (f->backups, "other.tar.zst", NULL);
  g_autofree char *tampered = g_build_filename (f->backups, "tampered.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(OsiDiff) same = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(OsiDiff) expected = NULL;
  g_autoptr(OsiDiff) none = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gsize len = 0;

  same = osi_test_client_diff (f->client, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_diff_is_empty (same));
  g_assert_cmpstr (osi_diff_get_a (same), ==, "current");
  g_assert_cmpstr (osi_diff_get_b (same), ==, name);
  g_assert_cmpuint (osi_diff_get_unchanged (same, OSI_DIFF_RAG), >, 0);

  g_assert_cmpint (g_mkdir (other_parent, 0700), ==, 0);
  other = osi_test_generate_data (other_parent, 1024 * 1024, 8);
  osi_test_make_archive (other, other_backup, OSI_COMPRESSION_ZSTD, NULL);
  diff = osi_test_client_diff (f->client, "other.tar.zst", NULL, &error);
  g_assert_no_error (error);
  expected = osi_diff_compare (f->data, other_backup, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (osi_diff_is_empty (diff));
  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      GPtrArray *got = osi_diff_get_changes (diff, s);
      GPtrArray *want = osi_diff_get_changes (expected, s);

      g_assert_cmpuint (got->len, ==, want->len);
      g_assert_cmpuint (osi_diff_get_unchanged (diff, s), ==, osi_diff_get_unchanged (expected, s));
      for (guint i = 0; i < got->len; i++)
        {
          const OsiChange *a = g_ptr_array_index (got, i);
          const OsiChange *b = g_ptr_array_index (want, i);

          g_assert_cmpstr (a->name, ==, b->name);
          g_assert_cmpint (a->kind, ==, b->kind);
          g_assert_cmpint (a->size_a, ==, b->size_a);
          g_assert_cmpint (a->size_b, ==, b->size_b);
          g_assert_true ((a->fields == NULL) == (b->fields == NULL));
          if (a->fields != NULL)
            g_assert_true (g_strv_equal ((const char * const *)a->fields, (const char * const *)b->fields));
        }
    }

  /* a damaged backup is not compared */
  g_assert_true (g_file_get_contents (other_backup, &contents, &len, NULL));
  for (gsize i = len / 2; i < len / 2 + 16; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (tampered, contents, (gssize)len, NULL));
  none = osi_test_client_diff (f->client, "tampered.tar.zst", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY);
  g_test_message ("INTEGRITY: %s", error->message);
  assert_server_detail (error);
  g_clear_error (&error);

  none = osi_test_client_diff (f->client, "missing.tar.zst", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  none = osi_test_client_diff (f->client, "../x", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  none = osi_test_client_diff (f->client, name, cancellable, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_too_large (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *big = NULL;
  g_autofree char *noise = g_malloc (64 * 1024);
  OsiTestEntry entries[2] = {
    { "rag/search.json", AE_IFREG, NULL, -1, NULL, FALSE },
    { "data/noise.bin", AE_IFREG, NULL, 64 * 1024, NULL, FALSE },
  };

  fixture_start (f, 256 * 1024, "--max-upload", "4096");
  for (guint i = 0; i < 64 * 1024; i++)
    noise[i] = (char)g_random_int ();
  entries[0].data = osi_test_valid_rag ();
  entries[1].data = noise;
  big = g_build_filename (f->downloads, "large_upload.tar.gz", NULL);
  osi_test_write_archive (big, ARCHIVE_FILTER_GZIP, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, entries, 2, TRUE);

  info = osi_test_client_upload (f->client, big, NULL, NULL, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TOO_LARGE);
  g_test_message ("TOO_LARGE: %s", error->message);
  assert_server_detail (error);
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 0);
  g_clear_error (&error);

  /* The connection is still usable afterwards. */
  {
    g_autoptr(GPtrArray) list = osi_test_client_list (f->client, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 0);
  }
  fixture_stop (f);
}

static void
test_connection_refused (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(OsiClient) client = osi_client_new (url, TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonObject) health = NULL;
  g_autofree char *dir = osi_test_make_tmpdir ();
  g_autofree char *path = NULL;

  list = osi_test_client_list (client, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_nonnull (strstr (error->message, "Check the connection to the backend server"));
  g_assert_null (strstr (error->message, TOKEN));
  g_clear_error (&error);

  health = osi_test_client_health (client, NULL, &error);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
  g_clear_error (&error);

  path = osi_test_client_download (client, "backup_20260101_000000.tar.zst", dir, NULL, NULL, NULL, NULL, &error);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
  g_assert_cmpuint (osi_test_count_entries (dir), ==, 0);
  osi_test_remove_tmpdir (dir);
}

static void
test_french (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(OsiClient) client = osi_client_new (url, TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  char *saved = osi_test_use_french ();
  const char *english = "Cannot reach the backend server at %s. Check the connection to the backend "
                        "server (address, network, that the server is running).";

  if (saved == NULL)
    return;
  if (strcmp (g_dgettext (GETTEXT_PACKAGE, english), english) == 0)
    {
      osi_test_restore_locale (saved);
      osi_test_missing ("the client's messages are not in po/fr.po yet");
      return;
    }

  list = osi_test_client_list (client, NULL, &error);
  osi_test_restore_locale (saved);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
  g_assert_nonnull (strstr (error->message, "Vérifiez la connexion au serveur backend"));
  g_assert_nonnull (strstr (error->message, url));
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* A server that accepts connections and then says nothing: a list gives up
 * after the idle timeout, while a create, which may keep a real server busy
 * for minutes, waits until it is cancelled. */
#define SILENT_TIMEOUT_S 2

static void
test_silent_server (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) restore_result = NULL;
  g_autoptr(GAsyncResult) list_result = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *url = NULL;
  gint64 start;


  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  any = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  client = osi_client_new (url, TOKEN);
  /* The 30 s of the app, made short: the same watchdog, in CI. */
  osi_client_set_idle_timeout (client, SILENT_TIMEOUT_S);

  start = g_get_monotonic_time ();
  /* A restore: the server works between the request and its answer. */
  osi_client_restore_async (client, "backup_20260101_000000.tar.zst", cancellable, osi_test_store_result,
                            &restore_result);
  osi_client_list_async (client, NULL, osi_test_store_result, &list_result);
  list = osi_client_list_finish (client, osi_test_wait_result (&list_result, "the answer"), &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_test_message ("CONNECTION: %s", error->message);
  g_assert_nonnull (strstr (error->message, "no answer for 2 seconds"));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (SILENT_TIMEOUT_S - 1) * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, (SILENT_TIMEOUT_S + 10) * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Still waiting for the server, well past the list's timeout: the
   * server's work on a restore has no limit but the user's cancel. */
  g_timeout_add_seconds (3 * SILENT_TIMEOUT_S, cancel_later, cancellable);
  g_assert_false (osi_client_restore_finish (client, osi_test_wait_result (&restore_result, "the answer"), &safety,
                                             NULL, &error));
  g_assert_null (safety);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4 * SILENT_TIMEOUT_S * G_USEC_PER_SEC - G_USEC_PER_SEC);
}

static void
test_cancel_list (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  g_cancellable_cancel (cancellable);
  list = osi_test_client_list (f->client, cancellable, &error);
  g_assert_null (list);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------------------ */
/* With 64 MiB of data: long enough operations to overlap or interrupt     */

static Fixture *big;
static char *big_name;

static Fixture *
big_fixture (void)
{
  if (big == NULL)
    {
      big = g_new0 (Fixture, 1);
      fixture_start (big, 64 * 1024 * 1024, NULL, NULL);
      big_name = create_backup (big);
    }
  return big;
}

static void
big_fixture_free (void)
{
  if (big == NULL)
    return;
  fixture_stop (big);
  g_clear_pointer (&big, g_free);
  g_clear_pointer (&big_name, g_free);
}

static void
test_busy (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(OsiBackupInfo) i1 = NULL;
  g_autoptr(OsiBackupInfo) i2 = NULL;
  GError *busy;

  /* Both requests wait in the stopped server's sockets, so that the
   * second reaches it while the first is surely running, however loaded
   * the machine: it handles the second a few milliseconds after the
   * first, whose 64 MiB take far longer. */
  kill (f->server->pid, SIGSTOP);
  osi_client_create_async (f->client, NULL, osi_test_store_result, &r1);
  osi_client_create_async (f->client, NULL, osi_test_store_result, &r2);
  {
    gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE);
  }
  kill (f->server->pid, SIGCONT);
  osi_client_create_finish (f->client, osi_test_wait_result (&r1, "the answer"), &i1, NULL, &e1);
  osi_client_create_finish (f->client, osi_test_wait_result (&r2, "the answer"), &i2, NULL, &e2);

  /* Exactly one of the two ran. */
  g_assert_true ((i1 != NULL) != (i2 != NULL));
  busy = i1 != NULL ? e2 : e1;
  g_assert_error (busy, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BUSY);
  g_test_message ("BUSY: %s", busy->message);
  g_assert_nonnull (strstr (busy->message, "already running"));
  assert_server_detail (busy);
  g_assert_true (osi_test_client_delete (f->client, osi_backup_info_get_name (i1 != NULL ? i1 : i2), NULL, NULL));
}

static char *
part_path (Fixture    *f,
           const char *name)
{
  g_autofree char *part = g_strconcat (name, ".part", NULL);

  return g_build_filename (f->downloads, part, NULL);
}

/* Cancels at the first progress report, after the first chunk is on disk,
 * and leaves the .part. */
static gint64
cancelled_download (Fixture *f)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *part = part_path (f, big_name);
  g_autofree char *final = g_build_filename (f->downloads, big_name, NULL);
  g_autofree char *path = NULL;
  g_autofree char *on_server = g_build_filename (f->backups, big_name, NULL);
  Progress progress = { .cancel_at_first = cancellable };
  gint64 size;

  path = osi_test_client_download (f->client, big_name, f->downloads, on_progress, &progress, cancellable, NULL,
                                   &error);
  g_assert_null (path);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
  size = osi_test_file_size (part);
  g_assert_cmpint (size, >=, (gint64)progress.first_done);
  g_assert_cmpint (size, >, 0);
  g_assert_cmpint (size, <, osi_test_file_size (on_server));
  return size;
}

static void
test_download_resume (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *on_server = g_build_filename (f->backups, big_name, NULL);
  g_autofree char *part = part_path (f, big_name);
  g_autofree char *path = NULL;
  Progress progress = { 0 };
  gint64 part_size;

  part_size = cancelled_download (f);
  g_test_message ("cancelled with %" G_GINT64_FORMAT " bytes in the .part", part_size);

  path = osi_test_client_download (f->client, big_name, f->downloads, on_progress, &progress, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Resumed with Range: the first report already counts the old bytes
   * (from zero, it would be at most one chunk, less than the .part). */
  g_assert_cmpuint (progress.first_done, >, (guint64)part_size);
  g_assert_cmpuint (progress.last_done, ==, (guint64)osi_test_file_size (on_server));
  g_assert_false (progress.decreasing);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  osi_test_assert_files_equal (path, on_server);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* A .part that ends anywhere (not on a block boundary, as a crash may
 * leave it): the chunks after it go to the disk directly, the first up to
 * the next boundary and the last tail through the page cache, and the
 * file is the backup, byte for byte. */
static void
test_download_resume_unaligned (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *on_server = g_build_filename (f->backups, big_name, NULL);
  g_autofree char *part = part_path (f, big_name);
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *expected = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (on_server, &contents, &len, NULL));
  /* over several of the client's chunks after the .part */
  g_assert_cmpuint (len, >, 12 * 1024 * 1024);
  expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
  for (gsize cut = 0; cut < 3; cut++)
    {
      gsize part_len = (gsize[]) { 4321, 1024 * 1024 + 1, 2 * 1024 * 1024 + 4095 }[cut];

      g_assert_true (g_file_set_contents (part, contents, (gssize)part_len, NULL));
      path = osi_test_client_download (f->client, big_name, f->downloads, NULL, NULL, NULL, &sha, &error);
      g_assert_no_error (error);
      osi_test_assert_files_equal (path, on_server);
      g_assert_cmpstr (sha, ==, expected);
      g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
      g_assert_cmpint (g_unlink (path), ==, 0);
      g_clear_pointer (&path, g_free);
      g_clear_pointer (&sha, g_free);
    }
}

static void
test_download_tampered_part (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *part = part_path (f, big_name);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  cancelled_download (f);
  g_assert_true (g_file_get_contents (part, &contents, &len, NULL));
  contents[len / 2] ^= 0x01;
  g_assert_true (g_file_set_contents (part, contents, (gssize)len, NULL));

  path = osi_test_client_download (f->client, big_name, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY);
  g_test_message ("INTEGRITY: %s", error->message);
  /* Neither a final file nor a .part to resume from. */
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 0);
}

/* The local disk refuses more bytes (here a file size limit, as ENOSPC
 * would): a LOCAL error naming the file, and the .part stays for later. */
static void
test_download_write_error (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *part = part_path (f, big_name);
  g_autofree char *path = NULL;
  struct rlimit saved, limited;
  void (*old_handler) (int);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = 3 * 1024 * 1024;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
  path = osi_test_client_download (f->client, big_name, f->downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, old_handler);

  g_assert_null (path);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL);
  g_test_message ("LOCAL: %s", error->message);
  g_assert_nonnull (strstr (error->message, part));
  g_assert_cmpint (osi_test_file_size (part), ==, 3 * 1024 * 1024);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
  g_assert_cmpint (g_unlink (part), ==, 0);
}

static void
test_download_progress_throttled (void)
{
  Fixture *f = big_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *on_server = g_build_filename (f->backups, big_name, NULL);
  Progress progress = { 0 };

  path = osi_test_client_download (f->client, big_name, f->downloads, on_progress, &progress, NULL, NULL, &error);
  g_assert_no_error (error);
  osi_test_assert_files_equal (path, on_server);
  /* About ten a second at most. Counted against the time it took rather
   * than gap by gap, so that a callback this loop runs late does not
   * count as early: unthrottled, it would be one call a read (hundreds). */
  {
    double seconds = (double)(progress.last_time - progress.first_time) / G_USEC_PER_SEC;

    g_test_message ("%u progress calls in %.2f s (%u closer than 90 ms), last rate %.0f MB/s", progress.calls,
                    seconds, progress.quick_calls, progress.last_rate / 1e6);
    g_assert_cmpuint (progress.calls, <=, 3 + (guint)(seconds * 10));
  }
  g_assert_cmpuint (progress.last_done, ==, progress.last_total);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* TLS                                                                      */

static void
test_tls (void)
{
  g_autofree char *tmp = NULL;
  g_autofree char *data = NULL;
  g_autofree char *backups = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *garbage = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) again = NULL;
  OsiTestServer *server;

  tmp = osi_test_make_tmpdir ();
  if (!osi_test_make_tls_certificates (tmp))
    {
      osi_test_remove_tmpdir (tmp);
      return;
    }
  ca = g_build_filename (tmp, "ca.pem", NULL);
  cert = g_build_filename (tmp, "server.pem", NULL);
  key = g_build_filename (tmp, "server.key", NULL);

  data = osi_test_generate_data (tmp, 64 * 1024, 5);
  backups = g_build_filename (tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, "--tls-cert", cert, "--tls-key", key, NULL);
  g_assert_true (g_str_has_prefix (server->url, "https://"));
  client = osi_client_new (server->url, TOKEN);

  /* Not trusted: refused, with what to do. */
  list = osi_test_client_list (client, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
  g_test_message ("TLS: %s", error->message);
  g_assert_nonnull (strstr (error->message, "CA file"));
  g_clear_error (&error);

  garbage = g_build_filename (tmp, "garbage.pem", NULL);
  g_assert_true (g_file_set_contents (garbage, "not a certificate", -1, NULL));
  g_assert_false (osi_client_set_ca_file (client, garbage, &error));
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
  g_test_message ("TLS: %s", error->message);
  g_clear_error (&error);

  g_assert_true (osi_client_set_ca_file (client, ca, &error));
  g_assert_no_error (error);
  again = osi_test_client_list (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, 0);

  /* The same, the files read in a worker (what the app does). */
  {
    g_autoptr(OsiClient) other = osi_client_new (server->url, TOKEN);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GTlsDatabase) database = NULL;
    g_autoptr(GTimeZone) tz = NULL;
    g_autoptr(GPtrArray) listed = NULL;

    osi_client_load_files_async (ca, "Asia/Tokyo", NULL, osi_test_store_result, &result);
    g_assert_true (osi_client_load_files_finish (osi_test_wait_result (&result, "the files loaded"),
                                                 &database, &tz, &error));
    g_assert_no_error (error);
    g_assert_true (G_IS_TLS_DATABASE (database));
    g_assert_cmpstr (g_time_zone_get_identifier (tz), ==, "Asia/Tokyo");
    osi_client_set_tls_database (other, database);
    osi_client_set_server_tz (other, tz);
    listed = osi_test_client_list (other, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (listed->len, ==, 0);
    g_clear_object (&result);
    g_clear_object (&database);
    g_clear_pointer (&tz, g_time_zone_unref);

    /* Neither: nothing to use but the system's and the desktop's. The
     * system's authorities are read once, and every TLS connection of
     * the process starts over them (see system_authorities ()). */
    osi_client_load_files_async (NULL, "", NULL, osi_test_store_result, &result);
    g_assert_true (osi_client_load_files_finish (osi_test_wait_result (&result, "the files loaded"),
                                                 &database, &tz, &error));
    {
      g_autoptr(GTlsDatabase) process = g_tls_backend_get_default_database (g_tls_backend_get_default ());

      g_assert_true (database == process);
    }
    g_assert_null (tz);
    g_clear_object (&result);
    g_clear_object (&database);

    /* With the setters' errors. */
    osi_client_load_files_async (garbage, NULL, NULL, osi_test_store_result, &result);
    g_assert_false (osi_client_load_files_finish (osi_test_wait_result (&result, "the files loaded"),
                                                  &database, &tz, &error));
    g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
    g_assert_null (database);
    g_clear_error (&error);
    g_clear_object (&result);
    osi_client_load_files_async (ca, "Nowhere/Atlantis", NULL, osi_test_store_result, &result);
    g_assert_false (osi_client_load_files_finish (osi_test_wait_result (&result, "the files loaded"),
                                                  &database, &tz, &error));
    g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
    g_assert_null (tz);
    g_clear_error (&error);
    g_clear_object (&result);
    g_assert_finalize_object (g_steal_pointer (&other));

    /* The client made of both, on this thread, ready to use. */
    osi_client_new_async (server->url, TOKEN, ca, "Asia/Tokyo", NULL, osi_test_store_result, &result);
    other = osi_client_new_finish (osi_test_wait_result (&result, "the client made"), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (g_time_zone_get_identifier (osi_client_get_server_tz (other)), ==, "Asia/Tokyo");
    g_clear_pointer (&listed, g_ptr_array_unref);
    listed = osi_test_client_list (other, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (listed->len, ==, 0);
    g_clear_object (&result);
    g_assert_finalize_object (g_steal_pointer (&other));
    osi_client_new_async (server->url, NULL, garbage, NULL, NULL, osi_test_store_result, &result);
    g_assert_null (osi_client_new_finish (osi_test_wait_result (&result, "the client refused"), &error));
    g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
    g_clear_error (&error);
  }

  g_assert_finalize_object (g_steal_pointer (&client));
  /* Its exit status is for the server's tests: under AddressSanitizer,
   * LeakSanitizer itself crashes at the exit of a process that ran GnuTLS
   * in a thread (libsanitizer of GCC 12 misreads glibc 2.36's dynamic TLS). */
  osi_test_server_stop (server);
  osi_test_server_free (server);
  osi_test_remove_tmpdir (tmp);
}

/* ------------------------------------------------------------------------ */
/* The deployed OSI backend (docs/api.md §5), through its FastAPI stand-in       */

/* This process's own zone (set in main): neither UTC nor Paris, so that a
 * date read in the wrong zone shows. UTC+7, no summer time. */
#define TEST_TZ "XYZ-7"

/* Both sides of the change to summer time in Paris, 2026-03-29 02:00 CET:
 * 01:30:00.250 CET is 00:30:00.25Z, 03:30:00.250 CEST is 01:30:00.25Z. */
#define BEFORE_DST_NAME "search_backup_20260329_013000.json"
#define AFTER_DST_NAME  "search_backup_20260329_033000.json"

/* What the fixture's create refuses with when there is no knowledge base. */
#define KB_MISSING "Knowledge base file not found"

static gint64
utc_unix (int month,
          int day,
          int hour,
          int minute)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, month, day, hour, minute, 0);

  return g_date_time_to_unix (date);
}

/* A file in dir, with this content and mtime; returns its path. */
static char *
put_file (const char *dir,
          const char *name,
          const char *content,
          gint64      unix_time,
          long        nsec)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  if (unix_time > 0)
    osi_test_set_mtime (path, unix_time, nsec);
  return path;
}

static char *
kb_path (Fixture *f)
{
  return g_build_filename (f->data, "rag", "search.json", NULL);
}

/* tmp, DATA_DIR (with rag/search.json holding the valid knowledge base
 * when with_kb), BACKUP_DIR and a download folder; no server yet. */
static void
fastapi_prepare (Fixture  *f,
                 gboolean  with_kb)
{
  g_autofree char *rag = NULL;

  f->tmp = osi_test_make_tmpdir ();
  f->data = g_build_filename (f->tmp, "data", NULL);
  rag = g_build_filename (f->data, "rag", NULL);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->downloads = g_build_filename (f->tmp, "downloads", NULL);
  g_assert_cmpint (g_mkdir_with_parents (rag, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->downloads, 0700), ==, 0);
  if (with_kb)
    {
      g_autofree char *kb = kb_path (f);

      g_assert_true (g_file_set_contents (kb, osi_test_valid_rag (), -1, NULL));
    }
}

/* The fixture's URL is printed once it listens; the client learns what
 * the server offers by itself (no health call first, unlike our server's
 * fixture): the operations under test must find out alone. */
static void
fastapi_launch (Fixture    *f,
                const char *token,
                const char *extra1,
                const char *extra2)
{
  f->server = osi_test_fastapi_start (f->tmp, f->data, f->backups, token, extra1, extra2, NULL);
  f->client = osi_client_new (f->server->url, token);
}

static void
fastapi_setup (Fixture       *f,
               gconstpointer  user_data)
{
  fastapi_prepare (f, TRUE);
  fastapi_launch (f, NULL, NULL, NULL);
}

static OsiBackupInfo *
find_backup (GPtrArray  *list,
             const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (osi_backup_info_get_name (list->pdata[i]), name) == 0)
      return list->pdata[i];
  return NULL;
}

static char *
utc_iso (OsiBackupInfo *info)
{
  g_autoptr(GDateTime) utc = NULL;

  g_assert_true (osi_backup_info_get_date_known (info));
  utc = g_date_time_to_utc (osi_backup_info_get_date (info));
  return g_date_time_format_iso8601 (utc);
}

static void
assert_backup_name_of_service (const char *name)
{
  g_assert_true (g_regex_match_simple ("^search_backup_[0-9]{8}_[0-9]{6}\\.json$", name, 0, 0));
}

/* The dates: naive Paris times, read in the server's zone, never shifted
 * by this desktop's; the zone really used (UTC gives other instants). */
static void
test_fastapi_list (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paris = NULL;
  g_autoptr(GPtrArray) utc = NULL;
  g_autoptr(GPtrArray) local = NULL;
  g_autofree char *before = put_file (f->backups, BEFORE_DST_NAME, osi_test_valid_rag (),
                                      utc_unix (3, 29, 0, 30), 250000000);
  g_autofree char *after = put_file (f->backups, AFTER_DST_NAME, osi_test_valid_rag (),
                                     utc_unix (3, 29, 1, 30), 250000000);
  /* Neither a backup (a dot file, not .json) nor listed. */
  g_autofree char *tmp_file = put_file (f->backups, ".search_backup_x.json.tmp", "{}", 0, 0);
  g_autofree char *notes = put_file (f->backups, "notes.txt", "x", 0, 0);
  const char *expected_paris[] = { "2026-03-29T01:30:00.250000Z", "2026-03-29T00:30:00.250000Z" };
  const char *expected_utc[] = { "2026-03-29T03:30:00.250000Z", "2026-03-29T01:30:00.250000Z" };
  const char *expected_local[] = { "2026-03-28T20:30:00.250000Z", "2026-03-28T18:30:00.250000Z" };
  const char *names[] = { AFTER_DST_NAME, BEFORE_DST_NAME };

  g_assert_true (osi_client_set_server_time_zone (f->client, "Europe/Paris", &error));
  g_assert_no_error (error);
  paris = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paris->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      OsiBackupInfo *info = paris->pdata[i];
      g_autofree char *iso = utc_iso (info);

      /* Newest first; "path" is the server's business; no size, no
       * checksum from this backend. */
      g_assert_cmpstr (osi_backup_info_get_name (info), ==, names[i]);
      g_assert_cmpstr (iso, ==, expected_paris[i]);
      g_assert_cmpint (osi_backup_info_get_size (info), ==, -1);
      g_assert_null (osi_backup_info_get_sha256 (info));
      g_assert_null (osi_backup_info_get_problem (info));
      g_assert_true (osi_backup_info_can_be_named (info));
    }
  /* Shown in this desktop's time (UTC+7). */
  g_assert_cmpstr (osi_backup_info_get_display_date (paris->pdata[0]), ==, "29/03/2026 08:30");
  g_assert_cmpstr (osi_backup_info_get_display_date (paris->pdata[1]), ==, "29/03/2026 07:30");

  /* The same answer read in another zone: other instants. */
  g_assert_true (osi_client_set_server_time_zone (f->client, "UTC", &error));
  utc = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (utc->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *iso = utc_iso (utc->pdata[i]);

      g_assert_cmpstr (osi_backup_info_get_name (utc->pdata[i]), ==, names[i]);
      g_assert_cmpstr (iso, ==, expected_utc[i]);
    }

  /* No zone given: this desktop's. */
  g_assert_true (osi_client_set_server_time_zone (f->client, NULL, &error));
  local = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (local->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *iso = utc_iso (local->pdata[i]);

      g_assert_cmpstr (iso, ==, expected_local[i]);
    }

  /* An unknown zone is refused and changes nothing. */
  g_assert_false (osi_client_set_server_time_zone (f->client, "Nowhere/Atlantis", &error));
  g_assert_nonnull (error);
  g_test_message ("bad zone: %s", error->message);
  g_assert_nonnull (strstr (error->message, "Nowhere/Atlantis"));
}

#define MALFORMED_ENTRIES                                                                   \
  "[{\"name\": \"search_backup_nodate.json\", \"path\": \"/srv/search_backup_nodate.json\"},"  \
  " {\"name\": \"search_backup_yesterday.json\", \"date\": \"yesterday\"},"                     \
  " {\"name\": \"../../etc/passwd\", \"path\": \"/etc/passwd\", \"date\": \"2026-03-29T10:00:00\"}," \
  " \"x.json\"]"

/* One bad entry never fails the list; names outside the grammar are never
 * sent back. */
static void
test_fastapi_list_malformed (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *good = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(OsiClient) nowhere = osi_client_new (url, NULL);
  OsiBackupInfo *info;
  const char *bad_name;

  fastapi_prepare (f, TRUE);
  extra = put_file (f->tmp, "extra.json", MALFORMED_ENTRIES, 0, 0);
  good = put_file (f->backups, AFTER_DST_NAME, osi_test_valid_rag (), utc_unix (3, 29, 1, 30), 0);
  fastapi_launch (f, NULL, "--extra-entries", extra);
  g_assert_true (osi_client_set_server_time_zone (f->client, "Europe/Paris", &error));

  list = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 5);

  info = list->pdata[0];
  g_assert_cmpstr (osi_backup_info_get_name (info), ==, AFTER_DST_NAME);
  g_assert_null (osi_backup_info_get_problem (info));
  g_assert_true (osi_backup_info_get_date_known (info));

  info = find_backup (list, "search_backup_nodate.json");
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  g_test_message ("no date: %s", osi_backup_info_get_problem (info));
  g_assert_false (osi_backup_info_get_date_known (info));
  g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, "Unknown date");
  g_assert_true (osi_backup_info_can_be_named (info));

  info = find_backup (list, "search_backup_yesterday.json");
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  g_assert_false (osi_backup_info_get_date_known (info));
  g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, "Unknown date");
  g_assert_true (osi_backup_info_can_be_named (info));

  info = find_backup (list, "../../etc/passwd");
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  g_test_message ("bad name: %s", osi_backup_info_get_problem (info));
  g_assert_false (osi_backup_info_can_be_named (info));
  /* Its date is good: 10:00 in Paris (CEST) is 08:00Z. */
  {
    g_autofree char *iso = utc_iso (info);

    g_assert_cmpstr (iso, ==, "2026-03-29T08:00:00Z");
  }

  /* A bare string is a name without a date. */
  info = find_backup (list, "x.json");
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  g_assert_false (osi_backup_info_get_date_known (info));
  g_assert_true (osi_backup_info_can_be_named (info));

  /* Acting on the bad entry: refused by the client itself, before any
   * request (no "(server: …)", and a client of a closed port says the
   * same rather than CONNECTION). */
  bad_name = osi_backup_info_get_name (find_backup (list, "../../etc/passwd"));
  for (guint c = 0; c < 2; c++)
    {
      OsiClient *client = c == 0 ? f->client : nowhere;
      g_autofree char *path = NULL;

      g_assert_false (osi_test_client_restore (client, bad_name, NULL, NULL, NULL, &error));
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_test_message ("BAD_REQUEST: %s", error->message);
      g_assert_null (strstr (error->message, "(server: "));
      g_clear_error (&error);

      g_assert_false (osi_test_client_delete (client, bad_name, NULL, &error));
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_assert_null (strstr (error->message, "(server: "));
      g_clear_error (&error);

      path = osi_test_client_download (client, bad_name, f->downloads, NULL, NULL, NULL, NULL, &error);
      g_assert_null (path);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
      g_assert_null (strstr (error->message, "(server: "));
      g_clear_error (&error);
    }
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 0);
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 1);
  {
    g_autofree char *kb = kb_path (f);
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (kb, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, osi_test_valid_rag ());
  }

  fixture_stop (f);
}

/* {"message", "filename"}: a success, the backup found by its name. */
static void
test_fastapi_create (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;
  g_autofree char *on_disk = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  gboolean made = FALSE;

  g_assert_false (osi_client_get_features_known (f->client));
  made = osi_test_client_create (f->client, NULL, &info, &message, &error);
  g_assert_no_error (error);
  g_assert_true (made);
  g_assert_nonnull (info);
  g_assert_nonnull (message);
  g_test_message ("created %s, server: %s", osi_backup_info_get_name (info), message);
  g_assert_cmpstr (message, ==, "Backup created successfully");
  assert_backup_name_of_service (osi_backup_info_get_name (info));

  /* The very file that appeared, the only one. */
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 1);
  on_disk = osi_test_only_entry_with_prefix (f->backups, "search_backup_");
  g_assert_cmpstr (osi_backup_info_get_name (info), ==, on_disk);
  path = g_build_filename (f->backups, on_disk, NULL);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, osi_test_valid_rag ());
  g_assert_true (osi_backup_info_get_date_known (info));
  g_assert_null (osi_backup_info_get_problem (info));

  /* It learnt on the way that this server offers the base actions only. */
  g_assert_true (osi_client_get_features_known (f->client));
  g_assert_false (osi_client_has_feature (f->client, "verify"));
}

/* {"message"} only: the new backup is found by listing before and after,
 * even when an older one is dated later (the newest new name wins, never
 * a name that was there before). */
static void
test_fastapi_create_without_filename (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;
  g_autofree char *old = NULL;
  g_autofree char *future = NULL;
  const char *new_name = NULL;
  gboolean made = FALSE;

  fastapi_prepare (f, TRUE);
  old = put_file (f->backups, "search_backup_20250306_173641.json", osi_test_valid_rag (),
                  utc_unix (1, 1, 12, 0) - 300 * 24 * 3600, 0);
  /* Listed first, before and after. */
  future = put_file (f->backups, "search_backup_20300101_000000.json", osi_test_valid_rag (),
                     utc_unix (1, 1, 0, 0) + 4 * 365 * 24 * 3600, 0);
  fastapi_launch (f, NULL, "--create-without-filename", NULL);

  before = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, 2);

  made = osi_test_client_create (f->client, NULL, &info, &message, &error);
  g_assert_no_error (error);
  g_assert_true (made);
  g_assert_cmpstr (message, ==, "Backup created successfully");

  after = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 3);
  for (guint i = 0; i < after->len; i++)
    if (find_backup (before, osi_backup_info_get_name (after->pdata[i])) == NULL)
      {
        g_assert_null (new_name);
        new_name = osi_backup_info_get_name (after->pdata[i]);
      }
  g_assert_nonnull (new_name);
  assert_backup_name_of_service (new_name);
  g_assert_nonnull (info);
  g_assert_cmpstr (osi_backup_info_get_name (info), ==, new_name);

  g_clear_pointer (&before, g_ptr_array_unref);
  g_clear_pointer (&after, g_ptr_array_unref);
  g_clear_object (&info);
  fixture_stop (f);
}

/* 500 {"error": …}: a failure that says what the server said. */
static void
test_fastapi_create_kb_missing (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;
  gboolean made = TRUE;

  fastapi_prepare (f, FALSE);
  fastapi_launch (f, NULL, NULL, NULL);

  made = osi_test_client_create (f->client, NULL, &info, &message, &error);
  g_assert_false (made);
  g_assert_null (info);
  g_assert_null (message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_SERVER);
  g_test_message ("SERVER: %s", error->message);
  g_assert_nonnull (strstr (error->message, "(server: " KB_MISSING ")"));
  g_assert_nonnull (strstr (error->message, "HTTP error 500"));
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 0);
  fixture_stop (f);
}

static const char *other_rag = "{\"autre\": {\"name\": \"autre\", \"description\": \"Changée\"}}\n";

/* {"message"}: a success without a safety backup named; the service keeps
 * its own search_pre_restore_….json. */
static void
test_fastapi_restore (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = put_file (f->backups, BEFORE_DST_NAME, osi_test_valid_rag (),
                                      utc_unix (3, 29, 0, 30), 0);
  g_autofree char *kb = kb_path (f);
  g_autofree char *safety = NULL;
  g_autofree char *message = NULL;
  g_autofree char *pre = NULL;
  g_autofree char *pre_path = NULL;
  g_autofree char *contents = NULL;
  const char *missing = "search_backup_19990101_000000.json";

  /* The live knowledge base has changed since the backup. */
  g_assert_true (g_file_set_contents (kb, other_rag, -1, NULL));

  g_assert_true (osi_test_client_restore (f->client, BEFORE_DST_NAME, NULL, &safety, &message, &error));
  g_assert_no_error (error);
  g_assert_null (safety);
  g_assert_nonnull (message);
  g_test_message ("restored, server: %s", message);
  g_assert_nonnull (strstr (message, "restored successfully"));
  osi_test_assert_files_equal (kb, backup);

  /* The service's own safety copy holds what was replaced. */
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 2);
  pre = osi_test_only_entry_with_prefix (f->backups, "search_pre_restore_");
  g_assert_true (g_regex_match_simple ("^search_pre_restore_[0-9]{8}_[0-9]{6}\\.json$", pre, 0, 0));
  pre_path = g_build_filename (f->backups, pre, NULL);
  g_assert_true (g_file_get_contents (pre_path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, other_rag);

  g_assert_false (osi_test_client_restore (f->client, missing, NULL, NULL, NULL, &error));
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_nonnull (strstr (error->message, "(server: Backup file not found)"));
  osi_test_assert_files_equal (kb, backup);
}

/* A backend that names the body's field otherwise: FastAPI's own 422 is a
 * refused request (BAD_REQUEST, with its "loc" and "msg"), not a backup
 * that failed verification. */
static void
test_fastapi_restore_field_renamed (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *kb = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *message = NULL;

  fastapi_prepare (f, TRUE);
  backup = put_file (f->backups, BEFORE_DST_NAME, other_rag, utc_unix (3, 29, 0, 30), 0);
  fastapi_launch (f, NULL, "--restore-field", "filename");

  g_assert_false (osi_test_client_restore (f->client, BEFORE_DST_NAME, NULL, &safety, &message, &error));
  g_assert_null (safety);
  g_assert_null (message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST);
  g_test_message ("BAD_REQUEST: %s", error->message);
  g_assert_nonnull (strstr (error->message, "body.filename: field required"));
  g_assert_null (strstr (error->message, "damaged"));

  kb = kb_path (f);
  g_assert_true (g_file_get_contents (kb, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, osi_test_valid_rag ());
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 1);
  fixture_stop (f);
}

/* 204 without a body. */
static void
test_fastapi_delete (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = put_file (f->backups, BEFORE_DST_NAME, osi_test_valid_rag (),
                                      utc_unix (3, 29, 0, 30), 0);
  g_autofree char *kept = put_file (f->backups, AFTER_DST_NAME, osi_test_valid_rag (),
                                    utc_unix (3, 29, 1, 30), 0);

  g_assert_true (osi_test_client_delete (f->client, BEFORE_DST_NAME, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (kept, G_FILE_TEST_EXISTS));

  g_assert_false (osi_test_client_delete (f->client, BEFORE_DST_NAME, NULL, &error));
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_test_message ("NOT_FOUND: %s", error->message);
  g_assert_nonnull (strstr (error->message, BEFORE_DST_NAME));
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 1);
}

/* Bytes as served (application/json, no Range, no Repr-Digest); the
 * SHA-256 of what was written; a .part resumed from even though the
 * server sends the whole file again. */
static void
test_fastapi_download (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *on_server = g_build_filename (f->backups, AFTER_DST_NAME, NULL);
  g_autofree char *path = NULL;
  g_autofree char *again = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *expected_sha = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  /* Over several of the client's chunks. */
  osi_test_write_random_file (on_server, 5 * 1024 * 1024 + 100, 11);
  g_assert_true (g_file_get_contents (on_server, &contents, &len, NULL));
  expected_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);

  path = osi_test_client_download (f->client, AFTER_DST_NAME, f->downloads, NULL, NULL, NULL, &sha, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);
  osi_test_assert_files_equal (path, on_server);
  g_assert_cmpstr (sha, ==, expected_sha);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);

  /* Never replaced. */
  g_clear_pointer (&sha, g_free);
  again = osi_test_client_download (f->client, AFTER_DST_NAME, f->downloads, NULL, NULL, NULL, &sha, &error);
  g_assert_null (again);
  g_assert_null (sha);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL);
  g_test_message ("LOCAL: %s", error->message);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_clear_error (&error);
  osi_test_assert_files_equal (path, on_server);
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* A .part that is a true beginning, then one that is not: the server
   * ignores Range and sends everything, which replaces the .part. */
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *part = part_path (f, AFTER_DST_NAME);
      g_autofree char *resumed = NULL;
      g_autofree char *prefix = g_memdup2 (contents, 3 * 1024 * 1024);

      if (round == 1)
        prefix[1000] ^= 0x20;
      g_assert_true (g_file_set_contents (part, prefix, 3 * 1024 * 1024, NULL));
      g_clear_pointer (&sha, g_free);
      resumed = osi_test_client_download (f->client, AFTER_DST_NAME, f->downloads, NULL, NULL, NULL, &sha, &error);
      g_assert_no_error (error);
      osi_test_assert_files_equal (resumed, on_server);
      g_assert_cmpstr (sha, ==, expected_sha);
      g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
      g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 1);
      g_assert_cmpint (g_unlink (resumed), ==, 0);
    }

  /* Unknown: NOT_FOUND, and no .part. */
  g_clear_pointer (&sha, g_free);
  again = osi_test_client_download (f->client, BEFORE_DST_NAME, f->downloads, NULL, NULL, NULL, &sha, &error);
  g_assert_null (again);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (osi_test_count_entries (f->downloads), ==, 0);
}

/* status and body of GET url, straight with libsoup. */
static guint
http_get (const char  *url,
          JsonNode   **json)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data;

  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (body, &len);
  *json = json_from_string (len > 0 ? data : "null", &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

static void
test_fastapi_health (Fixture       *f,
                     gconstpointer  user_data)
{
  static const char * const ours_offer[] = { "verify", "diff", "upload", "range", "digest" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(JsonObject) our_health = NULL;
  g_autoptr(JsonNode) plain = NULL;
  g_autofree char *plain_url = NULL;
  Fixture ours = { 0 };

  /* The deployed backend: /health only, no features. */
  g_assert_false (osi_client_get_features_known (f->client));
  health = osi_test_client_health (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (health);
  g_assert_cmpstr (json_object_get_string_member_with_default (health, "status", NULL), ==, "healthy");
  g_assert_true (osi_client_get_features_known (f->client));
  for (guint i = 0; i < G_N_ELEMENTS (ours_offer); i++)
    g_assert_false (osi_client_has_feature (f->client, ours_offer[i]));

  /* Ours: /api/health with its features… */
  fixture_start (&ours, 64 * 1024, NULL, NULL);
  g_assert_true (osi_client_get_features_known (ours.client));
  our_health = osi_test_client_health (ours.client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member_with_default (our_health, "status", NULL), ==, "ok");
  for (guint i = 0; i < G_N_ELEMENTS (ours_offer); i++)
    g_assert_true (osi_client_has_feature (ours.client, ours_offer[i]));
  g_assert_false (osi_client_has_feature (ours.client, "no-such-feature"));

  /* …and /health like the deployed one, for the dashboard. */
  plain_url = g_strconcat (ours.server->url, "/health", NULL);
  g_assert_cmpuint (http_get (plain_url, &plain), ==, 200);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (plain));
  g_assert_cmpstr (json_object_get_string_member_with_default (json_node_get_object (plain), "status", NULL),
                   ==, "ok");
  fixture_stop (&ours);
}

/* What the deployed backend lacks is UNSUPPORTED, never "not found",
 * whether the client knew it before asking or not. */
static void
test_fastapi_unsupported (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *backup = put_file (f->backups, AFTER_DST_NAME, osi_test_valid_rag (),
                                      utc_unix (3, 29, 1, 30), 0);
  g_autofree char *to_upload = put_file (f->downloads, "search_backup_20250101_000000.json",
                                         osi_test_valid_rag (), 0, 0);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(OsiClient) fresh = osi_client_new (f->server->url, NULL);
      OsiClient *client = round == 0 ? fresh : f->client;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) report = NULL;
      g_autoptr(OsiDiff) diff = NULL;
      g_autoptr(OsiBackupInfo) uploaded = NULL;

      if (round == 1)
        {
          g_autoptr(JsonObject) health = osi_test_client_health (client, NULL, &error);

          g_assert_no_error (error);
          g_assert_true (osi_client_get_features_known (client));
        }

      report = osi_test_client_verify (client, AFTER_DST_NAME, NULL, &error);
      g_assert_null (report);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);
      g_test_message ("UNSUPPORTED: %s", error->message);
      g_assert_nonnull (strstr (error->message, f->server->url));
      g_clear_error (&error);

      diff = osi_test_client_diff (client, AFTER_DST_NAME, NULL, &error);
      g_assert_null (diff);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);
      g_test_message ("UNSUPPORTED: %s", error->message);
      g_assert_nonnull (strstr (error->message, f->server->url));
      g_clear_error (&error);

      uploaded = osi_test_client_upload (client, to_upload, NULL, NULL, NULL, &error);
      g_assert_null (uploaded);
      g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);
      g_test_message ("UNSUPPORTED: %s", error->message);
      g_assert_nonnull (strstr (error->message, f->server->url));
      g_clear_error (&error);

      g_assert_finalize_object (g_steal_pointer (&fresh));
    }
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 1);
}

/* A wrong token is FastAPI's 401; none at all, HTTPBearer's 403. */
static void
test_fastapi_unauthorized (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) wrong = NULL;
  g_autoptr(OsiClient) none = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  gboolean made = TRUE;

  fastapi_prepare (f, TRUE);
  fastapi_launch (f, TOKEN, NULL, NULL);
  wrong = osi_client_new (f->server->url, "not-the-token");
  none = osi_client_new (f->server->url, NULL);

  list = osi_test_client_list (wrong, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_test_message ("UNAUTHORIZED: %s", error->message);
  g_assert_nonnull (strstr (error->message, "refused the token"));
  g_assert_null (strstr (error->message, "not-the-token"));
  g_clear_error (&error);

  list = osi_test_client_list (none, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_test_message ("UNAUTHORIZED: %s", error->message);
  g_assert_nonnull (strstr (error->message, "requires an API token"));
  g_clear_error (&error);

  /* A create with the wrong token makes nothing (its health step passes:
   * /health needs no token). */
  made = osi_test_client_create (wrong, NULL, &info, NULL, &error);
  g_assert_false (made);
  g_assert_null (info);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 0);

  list = osi_test_client_list (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&wrong));
  g_assert_finalize_object (g_steal_pointer (&none));
  fixture_stop (f);
}

/* The four base actions, the same calls, on both kinds of server: each a
 * success, none reported as a failure. */
static void
test_base_actions_both (void)
{
  for (guint s = 0; s < 2; s++)
    {
      gboolean fastapi = s == 1;
      Fixture fixture = { 0 }, *f = &fixture;
      g_autoptr(OsiClient) client = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) before = NULL;
      g_autoptr(GPtrArray) listed = NULL;
      g_autoptr(GPtrArray) after = NULL;
      g_autoptr(OsiBackupInfo) info = NULL;
      g_autofree char *name = NULL;
      g_autofree char *on_server = NULL;
      g_autofree char *path = NULL;
      g_autofree char *sha = NULL;
      g_autofree char *safety = NULL;
      g_autofree char *created_message = NULL;
      g_autofree char *restored_message = NULL;
      gboolean made = FALSE;

      if (fastapi)
        {
          fastapi_prepare (f, TRUE);
          fastapi_launch (f, TOKEN, NULL, NULL);
        }
      else
        fixture_start (f, 256 * 1024, NULL, NULL);
      g_test_message ("%s at %s", fastapi ? "FastAPI stand-in" : "osi-backup-server", f->server->url);
      /* Knowing nothing of the server yet. */
      client = osi_client_new (f->server->url, TOKEN);

      before = osi_test_client_list (client, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (before->len, ==, 0);

      made = osi_test_client_create (client, NULL, &info, &created_message, &error);
      g_assert_no_error (error);
      g_assert_true (made);
      g_assert_nonnull (info);
      g_assert_nonnull (created_message);
      name = g_strdup (osi_backup_info_get_name (info));
      on_server = g_build_filename (f->backups, name, NULL);
      g_assert_true (g_file_test (on_server, G_FILE_TEST_IS_REGULAR));

      listed = osi_test_client_list (client, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (listed->len, ==, 1);
      g_assert_cmpstr (osi_backup_info_get_name (listed->pdata[0]), ==, name);
      g_assert_null (osi_backup_info_get_problem (listed->pdata[0]));

      path = osi_test_client_download (client, name, f->downloads, NULL, NULL, NULL, &sha, &error);
      g_assert_no_error (error);
      g_assert_nonnull (path);
      osi_test_assert_files_equal (path, on_server);
      g_assert_nonnull (sha);
      g_assert_cmpuint (strlen (sha), ==, 64);

      g_assert_true (osi_test_client_restore (client, name, NULL, &safety, &restored_message, &error));
      g_assert_no_error (error);
      g_assert_nonnull (restored_message);
      /* Ours names its safety backup, made after the swap; the other
       * keeps its own. */
      g_assert_true ((safety != NULL) == !fastapi);
      if (safety != NULL)
        osi_test_server_wait_listed (f->server, safety, "safety");

      g_assert_true (osi_test_client_delete (client, name, NULL, &error));
      g_assert_no_error (error);
      g_assert_false (g_file_test (on_server, G_FILE_TEST_EXISTS));

      after = osi_test_client_list (client, NULL, &error);
      g_assert_no_error (error);
      /* The safety backup of the restore, whichever made it. */
      g_assert_cmpuint (after->len, ==, 1);
      g_assert_null (find_backup (after, name));

      g_clear_object (&info);
      g_clear_pointer (&before, g_ptr_array_unref);
      g_clear_pointer (&listed, g_ptr_array_unref);
      g_clear_pointer (&after, g_ptr_array_unref);
      g_assert_finalize_object (g_steal_pointer (&client));
      fixture_stop (f);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Before anything creates a GDateTime or caches the local time zone. */
  g_setenv ("TZ", TEST_TZ, TRUE);
  tzset ();

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("health", test_health);
  g_test_add_func ("/client/base-url", test_base_url);
  ADD ("list-create-verify-delete", test_list_create_verify_delete);
  ADD ("list/unchanged", test_list_unchanged);
  ADD ("restore", test_restore);
  ADD ("download", test_download);
  ADD ("download/not-as-listed", test_download_not_as_listed);
  ADD ("download/existing-file-kept", test_download_existing);
  ADD ("upload", test_upload);
  ADD ("cancel-before-start", test_cancel_list);
  ADD ("error/unauthorized", test_unauthorized);
  ADD ("error/not-found", test_not_found);
  ADD ("error/bad-name", test_bad_name);
  ADD ("error/upload-missing-file", test_upload_missing_file);
  ADD ("error/integrity", test_integrity);
  ADD ("diff", test_diff);
  g_test_add_func ("/client/error/too-large", test_too_large);
  g_test_add_func ("/client/error/connection-refused", test_connection_refused);
  g_test_add_func ("/client/error/connection-refused-french", test_french);
  g_test_add_func ("/client/error/silent-server", test_silent_server);
  g_test_add_func ("/client/error/busy", test_busy);
  g_test_add_func ("/client/error/restore-answer-lost", test_restore_answer_lost);
  g_test_add_func ("/client/download/resume", test_download_resume);
  g_test_add_func ("/client/download/resume-unaligned", test_download_resume_unaligned);
  g_test_add_func ("/client/download/tampered-part", test_download_tampered_part);
  g_test_add_func ("/client/download/progress-throttled", test_download_progress_throttled);
  g_test_add_func ("/client/download/local-write-error", test_download_write_error);
  g_test_add_func ("/client/tls", test_tls);
#undef ADD

#define ADD(path, func) g_test_add ("/client/fastapi/" path, Fixture, NULL, fastapi_setup, func, fixture_teardown)
  ADD ("list", test_fastapi_list);
  g_test_add_func ("/client/fastapi/list/malformed", test_fastapi_list_malformed);
  ADD ("create", test_fastapi_create);
  g_test_add_func ("/client/fastapi/create/without-filename", test_fastapi_create_without_filename);
  g_test_add_func ("/client/fastapi/create/kb-missing", test_fastapi_create_kb_missing);
  ADD ("restore", test_fastapi_restore);
  g_test_add_func ("/client/fastapi/restore/field-renamed", test_fastapi_restore_field_renamed);
  ADD ("delete", test_fastapi_delete);
  ADD ("download", test_fastapi_download);
  ADD ("health", test_fastapi_health);
  ADD ("unsupported", test_fastapi_unsupported);
  g_test_add_func ("/client/fastapi/unauthorized", test_fastapi_unauthorized);
  g_test_add_func ("/client/base-actions-both", test_base_actions_both);
#undef ADD

  status = g_test_run ();
  big_fixture_free ();
  return status;
}
