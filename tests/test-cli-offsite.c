/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-test-client.h"
#include "osi-test-rgw.h"
#include "osi-test-support.h"

/* Off-site copies (docs/api.md §7.3, §7.4, §9) through the client library
 * and osi-backup-cli, against a real osi-backup-server that copies to a
 * real Ceph RADOS Gateway (tests/osi-test-rgw.c, one for the suite), and
 * against one without --offsite-url. */

/* How long a copy of a small backup may take to be done before the test
 * gives up: it turns a copy that never ends into a failure, it times
 * nothing (a copy takes well under a second here). */
#define COPY_DEADLINE_S 120

static OsiTestRgw *rgw;
static char *suite_dir;

/* One cluster for every case, started by the first: it takes seconds. */
static gboolean
have_gateway (void)
{
  return osi_test_rgw_start_once (&rgw, suite_dir, 0);
}

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  OsiTestServer *server;
  OsiClient     *client;
  char          *env_server;
  char          *env_token;
} Fixture;

/* A server over fresh folders; with offsite, copying to the gateway
 * under a prefix of its own, so that no case sees another's copies. */
static void
fixture_start_url (Fixture    *f,
                   const char *offsite_url)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 256 * 1024, 7);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  if (offsite_url != NULL)
    {
      f->server = osi_test_rgw_server_start (rgw, f->tmp, f->data, f->backups, "s3cret-token", offsite_url, "2");
    }
  else
    f->server = osi_test_server_start (f->tmp, f->data, f->backups, "s3cret-token", NULL);
  f->client = osi_client_new (f->server->url, f->server->token);
  f->env_server = g_strconcat ("OSI_BACKUP_SERVER=", f->server->url, NULL);
  f->env_token = g_strconcat ("OSI_BACKUP_TOKEN=", f->server->token, NULL);
}

static void
fixture_start (Fixture    *f,
               const char *offsite_prefix)
{
  g_autofree char *url = NULL;

  if (offsite_prefix != NULL)
    url = g_strconcat (osi_test_rgw_get_url (rgw), "/", offsite_prefix, NULL);
  fixture_start_url (f, url);
}

static void
fixture_stop (Fixture *f)
{
  g_clear_object (&f->client);
  if (f->server != NULL)
    osi_test_server_finish (f->server);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->env_server);
  g_free (f->env_token);
}

/* Runs the CLI against the fixture's server, in English, or in French
 * with french. */
static int
cli_in (Fixture     *f,
        gboolean     french,
        char       **out,
        char       **err,
        const char  *first_arg,
        ...)
{
  const char *english[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", f->env_server, f->env_token, NULL };
  const char *fr[] = { "LANG=fr_FR.UTF-8", "LC_ALL=fr_FR.UTF-8", "LANGUAGE=fr", f->env_server, f->env_token, NULL };
  const char * const *env = french ? fr : english;
  const char *args[8] = { NULL };
  g_autofree char *ignored_out = NULL;
  g_autofree char *ignored_err = NULL;
  const char *arg;
  guint n = 0;
  va_list ap;
  int status;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL && n < G_N_ELEMENTS (args) - 1; arg = va_arg (ap, const char *))
    args[n++] = arg;
  va_end (ap);

  status = osi_test_run_cli (out != NULL ? out : &ignored_out, err != NULL ? err : &ignored_err, env,
                             args[0], args[1], args[2], args[3], args[4], args[5], args[6], NULL);
  g_test_message ("osi-backup-cli %s %s %s: %d\n%s%s", args[0], args[1] != NULL ? args[1] : "",
                  args[2] != NULL ? args[2] : "", status, out != NULL ? *out : ignored_out,
                  err != NULL ? *err : ignored_err);
  return status;
}

#define cli(f, ...) cli_in ((f), FALSE, __VA_ARGS__)
/* The same in French, where this machine has the locale (else NULL, the
 * French checks skipped: CI generates the locale). */
#define cli_fr(f, ...) cli_in ((f), TRUE, __VA_ARGS__)

/* The copies through the client library, the answer's bytes in *body. */
static GPtrArray *
list_offsite (OsiClient  *client,
              GBytes    **body,
              GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_list_offsite_async (client, FALSE, NULL, osi_test_store_result, &result);
  return osi_client_list_offsite_finish (client, osi_test_wait_result (&result, "the off-site copies"), body,
                                         error);
}

static OsiBackupInfo *
fetch_offsite (OsiClient   *client,
               const char  *name,
               char       **message,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_client_fetch_offsite_async (client, name, NULL, osi_test_store_result, &result);
  return osi_client_fetch_offsite_finish (client, osi_test_wait_result (&result, "a fetch"), message, error);
}

static OsiBackupInfo *
find_copy (GPtrArray  *copies,
           const char *name)
{
  for (guint i = 0; i < copies->len; i++)
    if (g_str_equal (osi_backup_info_get_name (copies->pdata[i]), name))
      return copies->pdata[i];
  return NULL;
}

/* Waits until the server says the copy of name is done, or has failed
 * (then the test fails with its detail). */
static OsiBackupInfo *
wait_copy_done (Fixture    *f,
                const char *name)
{
  gint64 deadline = g_get_monotonic_time () + COPY_DEADLINE_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) copies = list_offsite (f->client, NULL, &error);
      OsiBackupInfo *copy;

      g_assert_no_error (error);
      copy = find_copy (copies, name);
      if (copy != NULL && g_strcmp0 (osi_backup_info_get_offsite_state (copy), "failed") == 0)
        g_error ("the copy of %s failed: %s", name, osi_backup_info_get_offsite_detail (copy));
      if (copy != NULL && g_strcmp0 (osi_backup_info_get_offsite_state (copy), "done") == 0)
        return g_object_ref (copy);
      if (g_get_monotonic_time () > deadline)
        g_error ("the copy of %s is not done after %d s", name, COPY_DEADLINE_S);
      g_usleep (G_USEC_PER_SEC / 5);
    }
}

/* The line of offsite list that names name. */
static char *
line_of (const char *out,
         const char *name)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_suffix (lines[i], name))
      return g_strdup (lines[i]);
  g_error ("no line for %s in:\n%s", name, out);
  return NULL;
}

/* The entry of name in list --json, NULL when it is not listed. */
static JsonObject *
listed_entry (Fixture    *f,
              JsonNode  **root,
              const char *name)
{
  g_autofree char *out = NULL;
  JsonArray *backups;

  g_assert_cmpint (cli (f, &out, NULL, "list", "--json", NULL), ==, 0);
  *root = osi_test_parse_json (out, -1);
  backups = json_object_get_array_member (json_node_get_object (*root), "backups");
  for (guint i = 0; i < json_array_get_length (backups); i++)
    {
      JsonObject *entry = json_array_get_object_element (backups, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "name", NULL), name) == 0)
        return entry;
    }
  return NULL;
}

/* A backup made, copied, deleted here, listed off-site only, fetched
 * back whole, then restored; the fetch refused for a name the storage
 * does not hold and for a backup still here. */
static void
test_copy_fetch_restore (void)
{
  Fixture fixture = { NULL }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(OsiBackupInfo) made = NULL;
  g_autoptr(OsiBackupInfo) copy = NULL;
  g_autoptr(OsiBackupInfo) fetched = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) listed_root = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *line = NULL;
  g_autofree char *message = NULL;
  g_autofree char *sha256 = NULL;
  JsonObject *entry;
  JsonArray *array;

  if (!have_gateway ())
    return;
  fixture_start (f, "copy-fetch-restore");

  /* Nothing copied yet. */
  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "No off-site copy on this server yet."));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", "--json", NULL), ==, 0);
  root = osi_test_parse_json (out, -1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "copies")),
                    ==, 0);
  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&out, g_free);

  /* A backup made is copied. */
  g_assert_true (osi_test_client_create (f->client, NULL, &made, NULL, &error));
  g_assert_no_error (error);
  copy = wait_copy_done (f, osi_backup_info_get_name (made));
  g_assert_cmpstr (osi_backup_info_get_sha256 (copy), ==, osi_backup_info_get_sha256 (made));
  g_assert_cmpint (osi_backup_info_get_size (copy), ==, osi_backup_info_get_size (made));
  g_assert_true (osi_backup_info_get_local (copy));
  g_assert_cmpint (osi_backup_info_get_offsite_copied (copy), ==, osi_backup_info_get_size (made));
  g_assert_nonnull (osi_backup_info_get_offsite_at (copy));
  sha256 = g_strdup (osi_backup_info_get_sha256 (made));

  /* The list says so too. */
  entry = listed_entry (f, &listed_root, osi_backup_info_get_name (made));
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (entry, "offsite"), "state"), ==,
                   "done");
  g_clear_pointer (&listed_root, json_node_unref);

  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", NULL), ==, 0);
  line = line_of (out, osi_backup_info_get_name (made));
  g_assert_nonnull (strstr (line, "copied "));
  g_assert_nonnull (strstr (line, " local "));
  g_assert_nonnull (strstr (out, "1 off-site copy\n"));
  g_clear_pointer (&line, g_free);
  g_clear_pointer (&out, g_free);
  if (osi_test_have_locale ("fr_FR.UTF-8"))
    {
      g_assert_cmpint (cli_fr (f, &out, NULL, "offsite", "list", NULL), ==, 0);
      line = line_of (out, osi_backup_info_get_name (made));
      g_assert_nonnull (strstr (line, "copiée le "));
      g_assert_nonnull (strstr (line, " sur le serveur "));
      g_assert_nonnull (strstr (out, "1 copie hors site\n"));
      g_clear_pointer (&line, g_free);
      g_clear_pointer (&out, g_free);
    }

  /* --refresh reads the storage first: the same copy. */
  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", "--refresh", NULL), ==, 0);
  line = line_of (out, osi_backup_info_get_name (made));
  g_assert_nonnull (strstr (line, "copied "));
  g_clear_pointer (&line, g_free);
  g_clear_pointer (&out, g_free);

  /* --json is the server's answer, with its copies. */
  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", "--json", NULL), ==, 0);
  root = osi_test_parse_json (out, -1);
  array = json_object_get_array_member (json_node_get_object (root), "copies");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  entry = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, osi_backup_info_get_name (made));
  g_assert_true (json_object_get_boolean_member (entry, "local"));
  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&out, g_free);

  /* The client gives the answer's bytes as they came. */
  copies = list_offsite (f->client, &body, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 1);
  root = osi_test_parse_json (g_bytes_get_data (body, NULL), (gssize)g_bytes_get_size (body));
  g_assert_true (json_object_has_member (json_node_get_object (root), "copies"));
  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&copies, g_ptr_array_unref);
  g_clear_pointer (&body, g_bytes_unref);

  /* A backup still here is not fetched (409). */
  fetched = fetch_offsite (f->client, osi_backup_info_get_name (made), NULL, &error);
  g_assert_null (fetched);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (cli (f, NULL, &err, "offsite", "fetch", osi_backup_info_get_name (made), NULL), ==, 3);
  g_assert_nonnull (strstr (err, osi_backup_info_get_name (made)));
  g_clear_pointer (&err, g_free);

  /* Deleted here, the copy stays, off-site only. */
  g_assert_cmpint (cli (f, NULL, NULL, "delete", osi_backup_info_get_name (made), NULL), ==, 0);
  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", NULL), ==, 0);
  line = line_of (out, osi_backup_info_get_name (made));
  g_assert_nonnull (strstr (line, " off-site only "));
  g_clear_pointer (&line, g_free);
  g_clear_pointer (&out, g_free);
  copies = list_offsite (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (osi_backup_info_get_local (find_copy (copies, osi_backup_info_get_name (made))));
  g_clear_pointer (&copies, g_ptr_array_unref);
  g_assert_null (listed_entry (f, &listed_root, osi_backup_info_get_name (made)));
  g_clear_pointer (&listed_root, json_node_unref);

  /* Fetched back: listed again, the same bytes. */
  g_assert_cmpint (cli (f, &out, &err, "offsite", "fetch", osi_backup_info_get_name (made), NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Fetched "));
  g_assert_nonnull (strstr (out, "osi-backup-cli restore "));
  g_assert_nonnull (strstr (out, osi_backup_info_get_name (made)));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  entry = listed_entry (f, &listed_root, osi_backup_info_get_name (made));
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "sha256"), ==, sha256);
  g_clear_pointer (&listed_root, json_node_unref);
  {
    g_autofree char *path = g_build_filename (f->backups, osi_backup_info_get_name (made), NULL);
    g_autofree char *on_disk = osi_test_file_sha256 (path);

    g_assert_cmpstr (on_disk, ==, sha256);
  }

  /* And restored as any backup. */
  g_assert_cmpint (cli (f, &out, NULL, "restore", osi_backup_info_get_name (made), NULL), ==, 0);
  g_clear_pointer (&out, g_free);

  /* A name the storage does not hold (404). */
  fetched = fetch_offsite (f->client, "backup_20000101_000000.tar.zst", &message, &error);
  g_assert_null (fetched);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (cli (f, NULL, &err, "offsite", "fetch", "backup_20000101_000000.tar.zst", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "backup_20000101_000000.tar.zst"));
  g_clear_pointer (&err, g_free);

  /* Usage, before any request. */
  g_assert_cmpint (cli (f, NULL, NULL, "offsite", "fetch", "../etc", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "offsite", "fetch", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "offsite", "list", "extra", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "offsite", NULL), ==, 2);

  fixture_stop (f);
}

/* The object of name on the gateway replaced, by s3cmd, with its bytes
 * but one: the copy the server finds damaged. */
static void
damage_copy (Fixture    *f,
             const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *out = NULL;
  g_autofree char *path = g_build_filename (f->backups, name, NULL);
  g_autofree char *damaged = g_build_filename (f->tmp, "damaged", NULL);
  g_autofree char *target = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  contents[length / 2] ^= 0x55;
  g_assert_true (g_file_set_contents (damaged, contents, (gssize)length, &error));
  g_assert_no_error (error);

  g_assert_cmpint (cli (f, &out, NULL, "offsite", "list", "--json", NULL), ==, 0);
  root = osi_test_parse_json (out, -1);
  target = g_strdup_printf ("s3://%s/%s%s", osi_test_rgw_get_bucket (rgw),
                            json_object_get_string_member (json_node_get_object (root), "prefix"), name);
  g_clear_pointer (&out, g_free);
  g_free (osi_test_rgw_s3cmd (rgw, "put", damaged, target, NULL));
}

/* A copy damaged on the storage is refused: nothing is stored, the
 * library says INTEGRITY and the CLI exits 1 with the server's detail. */
static void
test_damaged (void)
{
  Fixture fixture = { NULL }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) made = NULL;
  g_autoptr(OsiBackupInfo) copy = NULL;
  g_autoptr(OsiBackupInfo) fetched = NULL;
  g_auto(GStrv) left = NULL;
  g_autofree char *err = NULL;

  if (!have_gateway ())
    return;
  fixture_start (f, "damaged");

  g_assert_true (osi_test_client_create (f->client, NULL, &made, NULL, &error));
  g_assert_no_error (error);
  copy = wait_copy_done (f, osi_backup_info_get_name (made));
  damage_copy (f, osi_backup_info_get_name (made));
  g_assert_cmpint (cli (f, NULL, NULL, "delete", osi_backup_info_get_name (made), NULL), ==, 0);

  fetched = fetch_offsite (f->client, osi_backup_info_get_name (made), NULL, &error);
  g_assert_null (fetched);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY);
  g_clear_error (&error);
  g_assert_cmpint (cli (f, NULL, &err, "offsite", "fetch", osi_backup_info_get_name (made), NULL), ==, 1);
  g_assert_nonnull (strstr (err, "damaged"));
  g_assert_nonnull (strstr (err, "(server: "));

  /* Nothing under its name, nothing half-written beside it. */
  left = osi_test_dir_names (f->backups);
  for (guint i = 0; left[i] != NULL; i++)
    if (strstr (left[i], osi_backup_info_get_name (made)) != NULL)
      g_error ("left in the backup folder: %s", left[i]);

  fixture_stop (f);
}

/* A TCP relay in front of the server that passes everything but the
 * answer to a fetch: once it has relayed a fetch's request, it reads the
 * server's answer (the fetch then done) and closes the client's
 * connection instead, as a proxy or a network that gives up would. A
 * real server behind a faulty hop, not a mock. */
typedef struct
{
  GSocketListener *listener;
  guint16          port;
  guint16          server_port;
  gint             dropped;     /* answers dropped (atomic) */
} Relay;

typedef struct
{
  Relay          *relay;
  GSocketConnection *client;
  GSocketConnection *server;
  gint            drop;         /* the next answer is dropped (atomic) */
} Hop;

static gpointer
pump_requests (gpointer data)
{
  Hop *hop = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (hop->client));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (hop->server));
  char buffer[16384];
  gssize n;

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      if (g_strstr_len (buffer, n, "POST /api/rag/backup/offsite/fetch") != NULL)
        g_atomic_int_set (&hop->drop, 1);
      if (!g_output_stream_write_all (out, buffer, (gsize)n, NULL, NULL, NULL))
        break;
    }
  g_socket_shutdown (g_socket_connection_get_socket (hop->server), FALSE, TRUE, NULL);
  return NULL;
}

static gpointer
relay_connection (gpointer data)
{
  Hop *hop = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (hop->server));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (hop->client));
  GThread *requests = g_thread_new ("relay-requests", pump_requests, hop);
  char buffer[16384];
  gssize n;

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      if (g_atomic_int_get (&hop->drop))
        {
          g_atomic_int_inc (&hop->relay->dropped);
          break;
        }
      if (!g_output_stream_write_all (out, buffer, (gsize)n, NULL, NULL, NULL))
        break;
    }
  /* The sockets themselves: a stream with a read pending in the other
   * thread refuses to close. */
  g_socket_shutdown (g_socket_connection_get_socket (hop->client), TRUE, TRUE, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (hop->server), TRUE, TRUE, NULL);
  g_thread_join (requests);
  g_socket_close (g_socket_connection_get_socket (hop->client), NULL);
  g_socket_close (g_socket_connection_get_socket (hop->server), NULL);
  g_object_unref (hop->client);
  g_object_unref (hop->server);
  g_free (hop);
  return NULL;
}

static gpointer
relay_accept (gpointer data)
{
  Relay *relay = data;

  for (;;)
    {
      g_autoptr(GSocketClient) connector = g_socket_client_new ();
      GSocketConnection *client = g_socket_listener_accept (relay->listener, NULL, NULL, NULL);
      Hop *hop;

      if (client == NULL)
        return NULL;
      hop = g_new0 (Hop, 1);
      hop->relay = relay;
      hop->client = client;
      hop->server = g_socket_client_connect_to_host (connector, "127.0.0.1", relay->server_port, NULL, NULL);
      g_assert_nonnull (hop->server);
      g_thread_unref (g_thread_new ("relay", relay_connection, hop));
    }
}

/* The relay lives as long as the test process. */
static Relay *
relay_start (guint16 server_port)
{
  g_autoptr(GError) error = NULL;
  Relay *relay = g_new0 (Relay, 1);

  relay->server_port = server_port;
  relay->listener = g_socket_listener_new ();
  relay->port = g_socket_listener_add_any_inet_port (relay->listener, NULL, &error);
  g_assert_no_error (error);
  g_thread_unref (g_thread_new ("relay-accept", relay_accept, relay));
  return relay;
}

/* docs/api.md §5.4: a fetch done by the server whose answer is lost on
 * the way is not a failure: the client finds the backup in the list. */
static void
test_fetch_answer_lost (void)
{
  Fixture fixture = { NULL }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) made = NULL;
  g_autoptr(OsiBackupInfo) copy = NULL;
  g_autoptr(OsiBackupInfo) fetched = NULL;
  g_autoptr(OsiClient) through_relay = NULL;
  g_autofree char *url = NULL;
  Relay *relay;

  if (!have_gateway ())
    return;
  fixture_start (f, "answer-lost");
  g_assert_true (osi_test_client_create (f->client, NULL, &made, NULL, &error));
  g_assert_no_error (error);
  copy = wait_copy_done (f, osi_backup_info_get_name (made));
  g_assert_cmpint (cli (f, NULL, NULL, "delete", osi_backup_info_get_name (made), NULL), ==, 0);

  relay = relay_start (osi_test_server_port (f->server));
  url = g_strdup_printf ("http://127.0.0.1:%u", relay->port);
  through_relay = osi_client_new (url, f->server->token);
  fetched = fetch_offsite (through_relay, osi_backup_info_get_name (made), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&relay->dropped), ==, 1);
  g_assert_cmpstr (osi_backup_info_get_name (fetched), ==, osi_backup_info_get_name (made));
  g_assert_cmpstr (osi_backup_info_get_sha256 (fetched), ==, osi_backup_info_get_sha256 (made));

  fixture_stop (f);
}

/* Storage the server cannot read (a bucket that does not exist): a
 * refresh is the server's 502, said as the storage's failure with the
 * server's detail, exit 3. */
static void
test_storage_refused (void)
{
  Fixture fixture = { NULL }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = NULL;
  g_autofree char *err = NULL;

  if (!have_gateway ())
    return;
  url = g_strconcat (osi_test_rgw_get_endpoint (rgw), "/no-such-bucket", NULL);
  fixture_start_url (f, url);

  osi_client_list_offsite_async (f->client, TRUE, NULL, osi_test_store_result, &result);
  copies = osi_client_list_offsite_finish (f->client, osi_test_wait_result (&result, "a refresh"), NULL, &error);
  g_assert_null (copies);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "off-site storage"));
  g_assert_nonnull (strstr (error->message, "(server: "));

  g_assert_cmpint (cli (f, NULL, &err, "offsite", "list", "--refresh", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "could not use its off-site storage"));
  /* Without a refresh, the catalog answers. */
  g_assert_cmpint (cli (f, NULL, NULL, "offsite", "list", NULL), ==, 0);

  fixture_stop (f);
}

/* A server started without --offsite-url: the commands say so and exit
 * 3; once the client knows the features, it asks nothing more. */
static void
test_no_offsite (void)
{
  Fixture fixture = { NULL }, *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(OsiBackupInfo) fetched = NULL;
  g_autofree char *err = NULL;

  fixture_start (f, NULL);

  g_assert_cmpint (cli (f, NULL, &err, "offsite", "list", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "This server does not copy its backups off-site."));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "offsite", "list", "--json", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "This server does not copy its backups off-site."));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "offsite", "fetch", "backup_20000101_000000.tar.zst", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "This server does not copy its backups off-site."));
  g_clear_pointer (&err, g_free);
  if (osi_test_have_locale ("fr_FR.UTF-8"))
    {
      g_assert_cmpint (cli_fr (f, NULL, &err, "offsite", "list", NULL), ==, 3);
      g_assert_nonnull (strstr (err, "Ce serveur ne copie pas ses sauvegardes hors site."));
      g_clear_pointer (&err, g_free);
    }

  copies = list_offsite (f->client, NULL, &error);
  g_assert_null (copies);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (osi_client_get_features_known (f->client));

  /* The server gone, the answer is the same: no request was sent. */
  osi_test_server_finish (f->server);
  f->server = NULL;
  fetched = fetch_offsite (f->client, "backup_20000101_000000.tar.zst", NULL, &error);
  g_assert_null (fetched);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);
  g_assert_cmpstr (error->message, ==, "This server does not copy its backups off-site.");
  g_clear_error (&error);
  copies = list_offsite (f->client, NULL, &error);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED);

  fixture_stop (f);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  suite_dir = osi_test_make_tmpdir ();

  g_test_add_func ("/cli-offsite/no-offsite", test_no_offsite);
  g_test_add_func ("/cli-offsite/copy-fetch-restore", test_copy_fetch_restore);
  g_test_add_func ("/cli-offsite/damaged", test_damaged);
  g_test_add_func ("/cli-offsite/fetch-answer-lost", test_fetch_answer_lost);
  g_test_add_func ("/cli-offsite/storage-refused", test_storage_refused);

  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  osi_test_remove_tmpdir (suite_dir);
  g_free (suite_dir);
  return status;
}
