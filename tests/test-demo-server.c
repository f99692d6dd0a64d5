/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-test"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-demo-server.h"
#include "osi-demo-server-private.h"
#include "osi-test-client.h"
#include "osi-test-io-watch.h"
#include "osi-test-support.h"

#define DEMO_CHILD_ARG "--demo-child"
#define GONE_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* One for the whole program: g_get_user_cache_dir () reads
 * $XDG_CACHE_HOME once, so it is set before anything asks. */
static char *tmp_root;

/* ------------------------------------------------------------------------ */
/* Helpers. */

/* Every start proves that this thread (the app's UI thread) reaches
 * neither the demo folder, its lock and token file beside, nor the
 * server program: the workers do. */
static gboolean
start (OsiDemoServer  *server,
       GCancellable   *cancellable,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *folder = _osi_demo_server_dup_folder ();
  g_autofree char *parent = g_path_get_dirname (folder);
  const char *program = g_getenv ("OSI_BACKUP_SERVER");
  const char *watched[] = { parent, program != NULL && g_path_is_absolute (program) ? program : NULL, NULL };
  gboolean started;

  osi_io_watch_start (watched);
  osi_demo_server_start_async (server, cancellable, osi_test_store_result, &result);
  started = osi_demo_server_start_finish (server, osi_test_wait_result (&result, "the demo server"), error);
  osi_io_watch_stop ("a start of the demo server");
  return started;
}

static OsiDemoServer *
start_ok (void)
{
  g_autoptr(OsiDemoServer) server = osi_demo_server_new ();
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  start (server, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("started in %.3f s", (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC);
  g_assert_nonnull (osi_demo_server_get_url (server));
  g_assert_nonnull (osi_demo_server_get_token (server));
  g_assert_cmpint (_osi_demo_server_get_pid (server), >, 0);
  return g_steal_pointer (&server);
}

static GPtrArray *
list_backups (const char  *url,
              const char  *token,
              GError     **error)
{
  g_autoptr(OsiClient) client = osi_client_new (url, token);

  return osi_test_client_list (client, NULL, error);
}

static GPtrArray *
list_ok (OsiDemoServer *server)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *backups = list_backups (osi_demo_server_get_url (server),
                                     osi_demo_server_get_token (server), &error);

  g_assert_no_error (error);
  g_assert_nonnull (backups);
  return backups;
}

static char *
demo_path (const char *rel)
{
  g_autofree char *folder = _osi_demo_server_dup_folder ();

  return rel != NULL ? g_build_filename (folder, rel, NULL) : g_steal_pointer (&folder);
}

static void
remove_demo_folder (void)
{
  g_autofree char *folder = demo_path (NULL);

  osi_test_remove_tmpdir (folder);
}

static gboolean
pid_gone (GPid pid)
{
  return kill (pid, 0) != 0 && errno == ESRCH;
}

static guint
url_port (const char *url)
{
  g_autoptr(GRegex) regex = g_regex_new ("^http://127\\.0\\.0\\.1:([0-9]{1,5})$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *port = NULL;
  guint64 value = 0;

  if (!g_regex_match (regex, url, 0, &match))
    g_error ("“%s” is not http://127.0.0.1:PORT", url);
  port = g_match_info_fetch (match, 1);
  g_assert_true (g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL));
  return (guint) value;
}

static gboolean
port_refuses (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  return connection == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
assert_same_file (const GStatBuf *a,
                  const GStatBuf *b)
{
  g_assert_cmpuint (a->st_ino, ==, b->st_ino);
  g_assert_cmpint (a->st_mtim.tv_sec, ==, b->st_mtim.tv_sec);
  g_assert_cmpint (a->st_mtim.tv_nsec, ==, b->st_mtim.tv_nsec);
}

/* ------------------------------------------------------------------------ */
/* Tests. */

static void
test_start (void)
{
  g_autoptr(OsiDemoServer) server = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_auto(GStrv) names = NULL;
  g_autofree char *folder_path = demo_path (NULL);
  g_autofree char *rag = demo_path ("data/rag/search.json");
  const char *token;
  GTimeSpan age;
  GPid pid;

  remove_demo_folder ();
  server = start_ok ();
  pid = _osi_demo_server_get_pid (server);

  url_port (osi_demo_server_get_url (server));
  token = osi_demo_server_get_token (server);
  g_assert_cmpuint (strlen (token), ==, 64);
  for (const char *p = token; *p != '\0'; p++)
    g_assert_true (g_ascii_isxdigit (*p));

  /* The token went to the server through a file, removed once read. */
  names = osi_test_dir_names (folder_path);
  g_assert_cmpuint (g_strv_length (names), ==, 3);
  g_assert_cmpstr (names[0], ==, ".complete");
  g_assert_cmpstr (names[1], ==, "backups");
  g_assert_cmpstr (names[2], ==, "data");
  g_assert_true (g_file_test (rag, G_FILE_TEST_IS_REGULAR));

  backups = list_ok (server);
  g_assert_cmpuint (backups->len, ==, 40);
  /* The newest is a few hours old, the oldest months. */
  age = g_date_time_difference (now, osi_backup_info_get_date (g_ptr_array_index (backups, 0)));
  g_assert_cmpint (age, >, 2 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (age, <, 4 * G_TIME_SPAN_HOUR);
  age = g_date_time_difference (now, osi_backup_info_get_date (g_ptr_array_index (backups, 39)));
  g_assert_cmpint (age, >, 60 * G_TIME_SPAN_DAY);

  client = osi_client_new (osi_demo_server_get_url (server), token);
  health = osi_test_client_health (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (health, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (health, "backup_count"), ==, 40);

  /* A token is required indeed. */
  refused = list_backups (osi_demo_server_get_url (server), NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED);

  osi_demo_server_stop (server);
  g_assert_null (osi_demo_server_get_url (server));
  g_assert_null (osi_demo_server_get_token (server));
  g_assert_true (pid_gone (pid));
}

static void
test_reuse (void)
{
  g_autoptr(OsiDemoServer) first = NULL;
  g_autoptr(OsiDemoServer) second = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *marker = demo_path (".complete");
  g_autofree char *data = demo_path ("data/rag/search.json");
  g_autofree char *first_token = NULL;
  GStatBuf marker_st, data_st, st;

  first = start_ok ();
  before = list_ok (first);
  first_token = g_strdup (osi_demo_server_get_token (first));
  osi_demo_server_stop (first);
  g_assert_cmpint (g_stat (marker, &marker_st), ==, 0);
  g_assert_cmpint (g_stat (data, &data_st), ==, 0);

  second = start_ok ();
  after = list_ok (second);

  /* Nothing made again… */
  g_assert_cmpint (g_stat (marker, &st), ==, 0);
  assert_same_file (&marker_st, &st);
  g_assert_cmpint (g_stat (data, &st), ==, 0);
  assert_same_file (&data_st, &st);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < after->len; i++)
    g_assert_cmpstr (osi_backup_info_get_name (g_ptr_array_index (after, i)), ==,
                     osi_backup_info_get_name (g_ptr_array_index (before, i)));

  /* …but a token is never reused. */
  g_assert_cmpstr (osi_demo_server_get_token (second), !=, first_token);
}

static void
test_regenerate (void)
{
  static const char *const markers[] = { NULL, "osi-backup demo 0\n" };
  g_autofree char *marker = demo_path (".complete");
  g_autofree char *backup_dir = demo_path ("backups");
  g_autofree char *stray = demo_path ("backups/stray.txt");

  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autoptr(OsiDemoServer) server = start_ok ();
      g_autoptr(GPtrArray) backups = list_ok (server);
      g_autoptr(GError) error = NULL;
      g_autofree char *victim = NULL;
      g_autofree char *text = NULL;

      osi_demo_server_stop (server);
      g_clear_object (&server);

      /* As a crash midway, or an older version, would leave the folder. */
      victim = g_build_filename (backup_dir, osi_backup_info_get_name (g_ptr_array_index (backups, 0)),
                                 NULL);
      g_assert_cmpint (g_unlink (victim), ==, 0);
      g_file_set_contents (stray, "x", 1, &error);
      g_assert_no_error (error);
      if (markers[i] == NULL)
        g_assert_cmpint (g_unlink (marker), ==, 0);
      else
        g_file_set_contents (marker, markers[i], -1, &error);
      g_assert_no_error (error);

      g_clear_pointer (&backups, g_ptr_array_unref);
      server = start_ok ();
      backups = list_ok (server);
      g_assert_cmpuint (backups->len, ==, 40);
      g_assert_false (g_file_test (stray, G_FILE_TEST_EXISTS));
      g_file_get_contents (marker, &text, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, "osi-backup demo 1\n");
    }
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_stop (void)
{
  g_autoptr(OsiDemoServer) server = start_ok ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first_url = g_strdup (osi_demo_server_get_url (server));
  GPid pid = _osi_demo_server_get_pid (server);
  guint port = url_port (first_url);
  guint notified = 0;

  g_signal_connect (server, "notify::url", G_CALLBACK (count_notify), &notified);

  /* Starting what runs is a no-op. */
  g_assert_true (start (server, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (_osi_demo_server_get_pid (server), ==, pid);

  osi_demo_server_stop (server);
  g_assert_true (pid_gone (pid));
  g_assert_true (port_refuses (port));
  g_assert_cmpint (_osi_demo_server_get_pid (server), ==, 0);
  g_assert_cmpuint (notified, ==, 1);

  /* Idempotent. */
  osi_demo_server_stop (server);
  g_assert_null (osi_demo_server_get_url (server));
  g_assert_cmpuint (notified, ==, 1);

  /* The same object starts again, and dropping it stops the child. */
  g_assert_true (start (server, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notified, ==, 2);
  pid = _osi_demo_server_get_pid (server);
  g_assert_cmpint (pid, >, 0);
  g_assert_false (pid_gone (pid));
  g_signal_handlers_disconnect_by_func (server, count_notify, &notified);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_true (pid_gone (pid));
}

static void
test_child_crash (void)
{
  g_autoptr(OsiDemoServer) server = start_ok ();
  GPid pid = _osi_demo_server_get_pid (server);
  gint64 deadline = g_get_monotonic_time () + GONE_TIMEOUT_US;
  guint notified = 0;

  g_signal_connect (server, "notify::url", G_CALLBACK (count_notify), &notified);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  while (osi_demo_server_get_url (server) != NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_null (osi_demo_server_get_url (server));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (_osi_demo_server_get_pid (server), ==, 0);
  g_assert_true (pid_gone (pid));
  g_signal_handlers_disconnect_by_func (server, count_notify, &notified);
}

/* In a process of its own (this program run again): starts the demo
 * server, prints its pid and URL, and waits to be killed. */
static int
run_demo_child (void)
{
  g_autoptr(OsiDemoServer) server = osi_demo_server_new ();
  g_autoptr(GError) error = NULL;
  pid_t parent = getppid ();

  /* Never outlive the test, whatever happens to it. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () != parent)
    return 1;

  if (!start (server, NULL, &error))
    {
      fprintf (stderr, "demo child: %s\n", error->message);
      return 1;
    }
  printf ("%d %s\n", (int) _osi_demo_server_get_pid (server), osi_demo_server_get_url (server));
  fflush (stdout);

  for (;;)
    pause ();
}

static void
test_parent_death (void)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *line = NULL;
  g_auto(GStrv) fields = NULL;
  gint64 deadline;
  GPid pid;
  guint port;
  int status = 0;
  gboolean reaped = FALSE;

  /* Orphans come to us rather than to init, so that we can reap the
   * server, and see it die even where PID 1 does not reap. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_assert_nonnull (self_exe);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe, DEMO_CHILD_ARG, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  fields = g_strsplit (line, " ", 2);
  g_assert_cmpuint (g_strv_length (fields), ==, 2);
  pid = (GPid) g_ascii_strtoll (fields[0], NULL, 10);
  g_assert_cmpint (pid, >, 0);
  port = url_port (fields[1]);
  g_assert_false (pid_gone (pid));

  /* Dies without a chance to stop anything. */
  g_subprocess_force_exit (child);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + GONE_TIMEOUT_US;
  while (!reaped && g_get_monotonic_time () < deadline)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        reaped = TRUE;
      else if (r < 0 && errno == ECHILD && pid_gone (pid))
        break;
      else
        g_usleep (10 * 1000);
    }
  g_assert_true (reaped || pid_gone (pid));
  if (reaped)
    g_test_message ("server exit status %d", status);
  g_assert_true (pid_gone (pid));
  g_assert_true (port_refuses (port));
}

static void
test_cancelled (void)
{
  g_autoptr(OsiDemoServer) server = osi_demo_server_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (start (server, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (osi_demo_server_get_url (server));
  g_assert_cmpint (_osi_demo_server_get_pid (server), ==, 0);
}

static void
with_server_program (const char *program,
                     guint       timeout_ms,
                     GQuark      domain,
                     int         code)
{
  g_autoptr(OsiDemoServer) server = osi_demo_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("OSI_BACKUP_SERVER"));

  g_setenv ("OSI_BACKUP_SERVER", program, TRUE);
  if (timeout_ms > 0)
    _osi_demo_server_set_start_timeout (server, timeout_ms);
  g_assert_false (start (server, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, domain, code);
  g_assert_null (osi_demo_server_get_url (server));
  g_assert_cmpint (_osi_demo_server_get_pid (server), ==, 0);
  g_setenv ("OSI_BACKUP_SERVER", saved, TRUE);
}

static void
test_server_exits (void)
{
  /* Exits at once without a word. */
  with_server_program ("/bin/true", 0, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static void
test_server_silent (void)
{
  g_autofree char *script = g_build_filename (tmp_root, "silent-server", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (script, "#!/bin/sh\nexec sleep 60\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (script, 0755), ==, 0);
  with_server_program (script, 300, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cache = NULL;
  int ret;

  if (argc == 2 && strcmp (argv[1], DEMO_CHILD_ARG) == 0)
    return run_demo_child ();

  tmp_root = osi_test_make_tmpdir ();
  cache = g_build_filename (tmp_root, "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/demo-server/start", test_start);
  g_test_add_func ("/demo-server/reuse", test_reuse);
  g_test_add_func ("/demo-server/regenerate", test_regenerate);
  g_test_add_func ("/demo-server/stop", test_stop);
  g_test_add_func ("/demo-server/child-crash", test_child_crash);
  g_test_add_func ("/demo-server/parent-death", test_parent_death);
  g_test_add_func ("/demo-server/cancelled", test_cancelled);
  g_test_add_func ("/demo-server/server-exits", test_server_exits);
  g_test_add_func ("/demo-server/server-silent", test_server_silent);

  ret = g_test_run ();
  osi_test_remove_tmpdir (tmp_root);
  g_free (tmp_root);
  return ret;
}
