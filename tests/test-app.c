/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The installed way in: the real osi-backup program ($OSI_BACKUP_APP),
 * started as the README starts it (--demo) and as an administrator points
 * it at a server (--server with $OSI_BACKUP_TOKEN), until its window shows
 * the list (OSI_BACKUP_REPORT_FIRST_LIST_FRAME); then quit, and no server
 * of its own is left behind. Needs a display (Xvfb in CI). */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "osi-demo-data.h"
#include "osi-test-support.h"

#define TOKEN       "app-test-token-5e19"
#define DEADLINE_S  60

typedef struct
{
  GSubprocess *process;
  GString     *err;
  gboolean     listed;
  gboolean     exited;
  gboolean     eof;       /* no read of its stderr pending any more */
} App;

static void read_more (GInputStream *stream,
                       App          *app);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  App *app = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                     NULL, NULL);

  if (line == NULL)
    {
      app->eof = TRUE;
      return;
    }
  g_string_append_printf (app->err, "%s\n", line);
  if (g_str_has_prefix (line, "first-list-frame "))
    app->listed = TRUE;
  read_more (G_INPUT_STREAM (source), app);
}

static void
read_more (GInputStream *stream,
           App          *app)
{
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (stream), G_PRIORITY_DEFAULT, NULL, on_line, app);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  App *app = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  app->exited = TRUE;
}

static void
wait_for (gboolean *flag,
          App      *app)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("osi-backup did not get there within %d s; its output:\n%s", DEADLINE_S, app->err->str);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A failing test must not leave the app running (its output pipe would
 * keep meson waiting). */
static void
die_with_test (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Runs osi-backup with args until its list is on screen. */
static void
app_start (App         *app,
           const char  *tmp,
           const char **args,
           const char  *token)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) err = NULL;

  g_ptr_array_add (argv, (gpointer)g_getenv ("OSI_BACKUP_APP"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "OSI_BACKUP_REPORT_FIRST_LIST_FRAME", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  if (token != NULL)
    g_subprocess_launcher_setenv (launcher, "OSI_BACKUP_TOKEN", token, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "OSI_BACKUP_TOKEN");

  memset (app, 0, sizeof *app);
  app->err = g_string_new (NULL);
  app->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (app->process));
  read_more (G_INPUT_STREAM (err), app);
  g_subprocess_wait_async (app->process, NULL, on_exited, app);
  wait_for (&app->listed, app);
  g_assert_false (app->exited);
}

/* SIGTERM ends a GApplication as a session logout would: it must exit.
 * Its stderr is read to the end (the demo server, which shares it, is
 * gone too by then), so that no read is left pending on this App. */
static void
app_stop (App *app)
{
  g_subprocess_send_signal (app->process, SIGTERM);
  wait_for (&app->exited, app);
  wait_for (&app->eof, app);
  g_clear_object (&app->process);
  g_string_free (app->err, TRUE);
}

static gboolean
port_open (const char *url)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), (guint16)g_uri_get_port (uri),
                                                NULL, NULL);
  return connection != NULL;
}

/* The demo server's URL, from the line it logs when it starts (its stderr
 * is the app's). */
static char *
demo_server_url (const char *err)
{
  const char *serving = strstr (err, "Serving ");
  const char *end;

  g_assert_nonnull (serving);
  serving += strlen ("Serving ");
  end = strchr (serving, ' ');
  g_assert_nonnull (end);
  return g_strndup (serving, (gsize)(end - serving));
}

static void
test_demo (void)
{
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *backups = g_build_filename (tmp, "cache", "osi-backup", "demo", "backups", NULL);
  g_autofree char *url = NULL;
  const char *args[] = { "--demo", NULL };
  guint source = g_timeout_add (50, wake, NULL);
  App app;

  app_start (&app, tmp, args, NULL);
  /* The demo data the README promises: about 40 backups. */
  {
    g_autoptr(GDir) dir = g_dir_open (backups, 0, NULL);
    const char *name;
    guint n = 0;

    g_assert_nonnull (dir);
    while ((name = g_dir_read_name (dir)) != NULL)
      n += g_str_has_prefix (name, "backup_") && g_str_has_suffix (name, ".tar.zst");
    g_assert_cmpuint (n, ==, 40);
  }
  url = demo_server_url (app.err->str);
  g_assert_true (port_open (url));
  app_stop (&app);
  /* The child server went with the app. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (port_open (url) && g_get_monotonic_time () < deadline)
      g_usleep (50 * 1000);
    g_assert_false (port_open (url));
  }
  g_source_remove (source);
  osi_test_remove_tmpdir (tmp);
}

static void
test_server (void)
{
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = osi_test_generate_data (tmp, 256 * 1024, 1);
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 3, 1, 12, 0, 0);
  g_autoptr(GError) error = NULL;
  guint source = g_timeout_add (50, wake, NULL);
  OsiTestServer *server;
  App app;

  g_assert_true (osi_demo_backups_populate (backups, 12, newest, 3, NULL, &error));
  g_assert_no_error (error);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  {
    const char *args[] = { "--server", server->url, NULL };

    /* The list on screen: the token was taken and the backups listed. */
    app_start (&app, tmp, args, TOKEN);
    app_stop (&app);
  }
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  g_source_remove (source);
  osi_test_remove_tmpdir (tmp);
}

static void
no_display (void)
{
  osi_test_missing ("no display");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_add_func ("/app/demo", no_display);
      return g_test_run ();
    }
  g_test_add_func ("/app/demo", test_demo);
  g_test_add_func ("/app/server", test_server);
  return g_test_run ();
}
