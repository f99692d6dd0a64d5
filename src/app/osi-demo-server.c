/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-demo"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-demo-data.h"
#include "osi-demo-server.h"
#include "osi-demo-server-private.h"
#include "osi-error.h"
#include "osi-open.h"
#include "osi-sha256.h"
#include "osi-swap.h"
#include "osi-wipe.h"

/* Written last into the demo folder: a folder without it (a crash, a full
 * disk, a folder made by a version whose demo differs) is made again. Bump
 * the version whenever what the folder holds changes. */
#define DEMO_MARKER           ".complete"
#define DEMO_MARKER_TEXT      "osi-backup demo 1\n"

/* A few MiB: enough for the knowledge base to look real and for a create
 * or a restore to show its progress, little enough to make in a blink. */
#define DEMO_DATA_SIZE        (3 * 1024 * 1024)
#define DEMO_DATA_SEED        1
#define DEMO_BACKUP_COUNT     40
#define DEMO_BACKUP_SEED      1
/* The newest backup a few hours old, as the last scheduled one would be,
 * rather than made this very second. */
#define DEMO_NEWEST_AGE_H     3

#define TOKEN_BYTES           32
#define START_TIMEOUT_MS      (15 * 1000)
#define STOP_TIMEOUT_MS       (5 * 1000)

#define SERVER_PROGRAM        "osi-backup-server"

struct _OsiDemoServer
{
  GObject      parent_instance;

  GSubprocess *subprocess;
  char        *url;
  char        *token;
  guint        start_timeout_ms;
  gboolean     starting;
  /* Bumped by every stop, so that a start still under way notices it was
   * abandoned. */
  guint        generation;
};

G_DEFINE_FINAL_TYPE (OsiDemoServer, osi_demo_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------ */
/* The demo folder, made in a worker thread                                 */

static gboolean
folder_is_complete (const char *demo_dir)
{
  g_autofree char *marker = g_build_filename (demo_dir, DEMO_MARKER, NULL);
  g_autofree char *text = NULL;

  return g_file_get_contents (marker, &text, NULL, NULL) &&
         strcmp (text, DEMO_MARKER_TEXT) == 0;
}

/* The marker must not reach the disk before what it vouches for: after a
 * power cut, a marker over empty files would keep a broken demo for good.
 * One syncfs costs less than a sync of each file, and only the first start
 * pays it. */
static gboolean
sync_folder (const char  *dir,
             GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv = 0;

  if (fd < 0 || syncfs (fd) != 0)
    errsv = errno;
  if (fd >= 0)
    close (fd);

  if (errsv != 0)
    return osi_set_error_from_errno (error, errsv, _("Cannot write “%s”"), dir);
  return TRUE;
}

static gboolean
make_folder (const char    *demo_dir,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *data_dir = g_build_filename (demo_dir, "data", NULL);
  g_autofree char *backup_dir = g_build_filename (demo_dir, "backups", NULL);
  g_autofree char *marker = g_build_filename (demo_dir, DEMO_MARKER, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) newest = g_date_time_add_hours (now, -DEMO_NEWEST_AGE_H);

  /* Whatever an interrupted attempt left is of no use: start afresh. */
  if (!osi_remove_tree (demo_dir, error))
    return FALSE;
  /* 0700: the folder holds the token file. */
  if (g_mkdir_with_parents (demo_dir, 0700) != 0)
    return osi_set_error_from_errno (error, errno, _("Cannot create the folder “%s”"), demo_dir);

  return osi_demo_data_generate (data_dir, DEMO_DATA_SIZE, DEMO_DATA_SEED, cancellable, error) &&
         osi_demo_backups_populate (backup_dir, DEMO_BACKUP_COUNT, newest, DEMO_BACKUP_SEED,
                                    cancellable, error) &&
         sync_folder (demo_dir, error) &&
         g_file_set_contents (marker, DEMO_MARKER_TEXT, -1, error);
}

/* 32 bytes from the kernel's CSPRNG: GRand is predictable, and even a
 * loopback server is reachable by every local user. */
static char *
make_token (GError **error)
{
  guint8 bytes[TOKEN_BYTES];
  char *hex = g_malloc (2 * TOKEN_BYTES + 1);
  gsize done = 0;

  while (done < sizeof bytes)
    {
      ssize_t n = getrandom (bytes + done, sizeof bytes - done, 0);

      if (n < 0 && errno != EINTR)
        {
          int errsv = errno;

          g_free (hex);
          osi_set_error_from_errno (error, errsv, _("Cannot draw a random token"));
          return NULL;
        }
      if (n > 0)
        done += (gsize) n;
    }

  osi_hex_encode (bytes, sizeof bytes, hex);
  explicit_bzero (bytes, sizeof bytes);
  return hex;
}

/* What the worker thread hands over: a fresh token, the file that
 * passes it to the child, and the server program (NULL when none was
 * found). */
typedef struct
{
  char *token;
  char *token_file;
  char *program;
} Prepared;

static void
prepared_free (Prepared *prepared)
{
  g_clear_pointer (&prepared->token, osi_wipe_free);
  g_free (prepared->token_file);
  g_free (prepared->program);
  g_free (prepared);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Prepared, prepared_free)

/* A name of its own for each start, so that two starts never pass each
 * other's token, and removed once the child has read it: the token then
 * lives in the two processes' memory only. */
static char *
write_token_file (const char  *demo_dir,
                  const char  *token,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (demo_dir, ".token-XXXXXX", NULL);
  int errsv = 0;
  int fd;

  /* Created 0600 rather than chmod-ed: never readable by others, not even
   * for an instant. */
  fd = g_mkstemp_full (path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      osi_set_error_from_errno (error, errno, _("Cannot open “%s”"), path);
      return NULL;
    }

  osi_write_all (fd, token, strlen (token), &errsv);
  if (close (fd) != 0 && errno != EINTR && errsv == 0)
    errsv = errno;

  if (errsv != 0)
    {
      g_unlink (path);
      osi_set_error_from_errno (error, errsv, _("Cannot write “%s”"), path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* Makes the demo folder unless a complete one is there, and a token. */
static Prepared *
prepare_folder (const char    *demo_dir,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autofree char *parent = g_path_get_dirname (demo_dir);
  g_autofree char *lock_path = g_build_filename (parent, "demo.lock", NULL);
  g_autoptr(Prepared) prepared = g_new0 (Prepared, 1);
  int lock_fd;
  gboolean ok;

  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      osi_set_error_from_errno (error, errno, _("Cannot create the folder “%s”"), parent);
      return NULL;
    }

  /* Two instances in demo mode at once must not make the folder over each
   * other: the second waits, then finds it complete. The lock lives beside
   * the folder, which is removed and made again. */
  lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0)
    {
      osi_set_error_from_errno (error, errno, _("Cannot open “%s”"), lock_path);
      return NULL;
    }
  while (flock (lock_fd, LOCK_EX) != 0 && errno == EINTR)
    ;

  ok = folder_is_complete (demo_dir) || make_folder (demo_dir, cancellable, error);
  if (ok)
    prepared->token = make_token (error);
  if (prepared->token != NULL)
    prepared->token_file = write_token_file (demo_dir, prepared->token, error);

  close (lock_fd);
  return prepared->token_file != NULL ? g_steal_pointer (&prepared) : NULL;
}

static char *find_server_program (void);

/* The program is looked for here too: its candidates are stat-ed. */
static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *demo_dir = task_data;
  GError *error = NULL;
  Prepared *prepared;

  prepared = prepare_folder (demo_dir, cancellable, &error);
  if (prepared == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  prepared->program = find_server_program ();
  g_task_return_pointer (task, prepared, (GDestroyNotify) prepared_free);
}

/* ------------------------------------------------------------------------ */
/* The child                                                                */

/* Where the server program is, best guess first. In a worker: it stats
 * files. */
static char *
find_server_program (void)
{
  const char *env = g_getenv ("OSI_BACKUP_SERVER");
  g_autofree char *exe = NULL;

  /* osi-backup-cli reads a server URL from the same variable: only a path
   * to a program counts here (the tests and the build set one). */
  if (env != NULL && g_path_is_absolute (env) && g_file_test (env, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (env);

  /* Run from the build tree (src/app/osi-backup beside src/server/), or
   * installed: the server beside the app in BINDIR, even when the whole
   * installation was moved (a DESTDIR, a copied prefix). */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (exe);
      g_autofree char *in_build = g_build_filename (dir, "..", "server", SERVER_PROGRAM, NULL);
      g_autofree char *beside = g_build_filename (dir, SERVER_PROGRAM, NULL);

      if (g_file_test (in_build, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&in_build);
      if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&beside);
    }

  if (g_file_test (BINDIR "/" SERVER_PROGRAM, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (BINDIR "/" SERVER_PROGRAM);

  return g_find_program_in_path (SERVER_PROGRAM);
}

/* Runs in the child between fork and exec: async-signal-safe calls only.
 * The signal comes when the thread that forked ends, not the process: we
 * always spawn from the main thread, whose end is the app's. Should the app
 * have died before prctl, the child was already given to another parent and
 * would never get the signal, hence the check. */
static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  if (prctl (PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid () != parent)
    _exit (127);
}

typedef struct
{
  gboolean done;
  gboolean exited;
} WaitState;

static void
wait_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  WaitState *state = user_data;

  state->exited = g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  state->done = TRUE;
}

static gboolean
wait_timed_out (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* g_subprocess_wait () has no timeout, and stopping must not hang the app
 * on a child that ignores SIGTERM. So the wait runs in a context of its
 * own, which also keeps the caller's sources from running meanwhile.
 * GSubprocess reaps the child in any case, even one we stop waiting for. */
static gboolean
wait_for_exit (GSubprocess *subprocess,
               guint        timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  WaitState state = { FALSE, FALSE };

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, wait_timed_out, cancellable, NULL);
  g_source_attach (timeout, context);
  g_subprocess_wait_async (subprocess, cancellable, wait_done, &state);
  while (!state.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  return state.exited;
}

static void
terminate (GSubprocess *subprocess)
{
  g_subprocess_send_signal (subprocess, SIGTERM);
  if (wait_for_exit (subprocess, STOP_TIMEOUT_MS))
    return;

  g_message ("The demo server ignored SIGTERM for %u s: killing it", STOP_TIMEOUT_MS / 1000);
  g_subprocess_force_exit (subprocess);
  if (!wait_for_exit (subprocess, STOP_TIMEOUT_MS))
    g_message ("The demo server survived SIGKILL for %u s", STOP_TIMEOUT_MS / 1000);
}

/* Without waiting: SIGTERM, then SIGKILL after STOP_TIMEOUT_MS, then
 * giving up after as long again. The GTask holds the child until then. */
typedef struct
{
  GSubprocess  *subprocess;
  GCancellable *wait_cancellable;
  guint         timeout_id;
  gboolean      killed;
} Stopping;

static void
stopping_free (Stopping *stopping)
{
  g_clear_handle_id (&stopping->timeout_id, g_source_remove);
  g_object_unref (stopping->subprocess);
  g_object_unref (stopping->wait_cancellable);
  g_free (stopping);
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  Stopping *stopping = g_task_get_task_data (user_data);

  if (!stopping->killed)
    {
      g_message ("The demo server ignored SIGTERM for %u s: killing it", STOP_TIMEOUT_MS / 1000);
      g_subprocess_force_exit (stopping->subprocess);
      stopping->killed = TRUE;
      return G_SOURCE_CONTINUE;
    }
  g_message ("The demo server survived SIGKILL for %u s", STOP_TIMEOUT_MS / 1000);
  stopping->timeout_id = 0;
  g_cancellable_cancel (stopping->wait_cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_child_stopped (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Stopping *stopping = g_task_get_task_data (task);

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_clear_handle_id (&stopping->timeout_id, g_source_remove);
  g_task_return_boolean (task, TRUE);
}

static void
terminate_async (GSubprocess *subprocess,
                 GTask       *task)
{
  Stopping *stopping = g_new0 (Stopping, 1);

  stopping->subprocess = g_object_ref (subprocess);
  stopping->wait_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, stopping, (GDestroyNotify)stopping_free);
  g_subprocess_send_signal (subprocess, SIGTERM);
  /* The timeout goes before the task: on_child_stopped removes it. */
  stopping->timeout_id = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, task);
  g_subprocess_wait_async (subprocess, stopping->wait_cancellable, on_child_stopped, g_object_ref (task));
}

/* Forgets the child, its URL and token; returns the child, if any. */
static GSubprocess *
forget_child (OsiDemoServer *self,
              gboolean      *had_url)
{
  *had_url = self->url != NULL;
  self->generation++;
  self->starting = FALSE;
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->token, osi_wipe_free);
  return g_steal_pointer (&self->subprocess);
}

/* Returns whether there was a URL to forget. */
static gboolean
stop_child (OsiDemoServer *self)
{
  gboolean had_url;
  g_autoptr(GSubprocess) subprocess = forget_child (self, &had_url);

  if (subprocess != NULL)
    terminate (subprocess);
  return had_url;
}

/* For the UI thread, which must not wait for the child. */
static gboolean
stop_child_in_background (OsiDemoServer *self)
{
  gboolean had_url;
  g_autoptr(GSubprocess) subprocess = forget_child (self, &had_url);

  if (subprocess != NULL)
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

      g_task_set_source_tag (task, stop_child_in_background);
      terminate_async (subprocess, task);
    }
  return had_url;
}

/* A child that dies on its own (a crash, a kill) takes the URL with it,
 * so that the window can say so rather than fail on every request. The
 * weak reference lets the object go while the wait is pending. */
typedef struct
{
  GWeakRef     self;
  GSubprocess *subprocess;
} Watch;

static void
child_exited (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Watch *watch = user_data;
  g_autoptr(OsiDemoServer) self = g_weak_ref_get (&watch->self);

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  if (self != NULL && self->subprocess == watch->subprocess)
    {
      g_message ("The demo server exited on its own");
      osi_demo_server_stop (self);
    }

  g_weak_ref_clear (&watch->self);
  g_object_unref (watch->subprocess);
  g_free (watch);
}

static void
watch_child (OsiDemoServer *self,
             GSubprocess   *subprocess)
{
  Watch *watch = g_new0 (Watch, 1);

  g_weak_ref_init (&watch->self, self);
  watch->subprocess = g_object_ref (subprocess);
  g_subprocess_wait_async (subprocess, NULL, child_exited, watch);
}

/* ------------------------------------------------------------------------ */
/* Starting                                                                 */

typedef struct
{
  char             *demo_dir;
  guint             generation;
  Prepared         *prepared;
  GSubprocess      *subprocess;
  GDataInputStream *output;
  /* The read of the URL is cancelled by the caller's cancellable or by
   * the timeout; timed_out tells which. */
  GCancellable     *read_cancellable;
  GCancellable     *cancellable;
  gulong            cancelled_id;
  GSource          *timeout;
  gboolean          timed_out;
  /* What the child said (its URL) or why not, kept while its token file
   * is removed. */
  char             *line;
  GError           *error;
  /* What to do once the token file is removed. */
  void            (*forgotten) (GTask *task);
} StartData;

/* task: NULL when nothing waits. */
static void
on_token_file_deleted (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (source), result, &error))
    g_debug ("The demo server's token file stays: %s", error->message);
  if (task != NULL)
    {
      StartData *data = g_task_get_task_data (task);

      data->forgotten (task);
    }
}

/* Removes the token file in a worker, off the UI thread, then runs
 * forgotten (task) here; the start answers only then, so that the token
 * lives in the two processes' memory alone once it does. Done with once
 * the child answered, whatever it said (it reads the file before it
 * prints anything), or once there is no child to read it. */
static void
forget_token_file (GTask *task,
                   void (*forgotten) (GTask *task))
{
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GFile) file = NULL;

  if (data->prepared == NULL || data->prepared->token_file == NULL)
    {
      forgotten (task);
      return;
    }
  file = g_file_new_for_path (data->prepared->token_file);
  g_clear_pointer (&data->prepared->token_file, g_free);
  data->forgotten = forgotten;
  g_file_delete_async (file, G_PRIORITY_DEFAULT, NULL, on_token_file_deleted, g_object_ref (task));
}

static void
start_data_free (StartData *data)
{
  if (data->cancelled_id != 0)
    g_cancellable_disconnect (data->cancellable, data->cancelled_id);
  if (data->timeout != NULL)
    {
      g_source_destroy (data->timeout);
      g_source_unref (data->timeout);
    }
  g_clear_object (&data->cancellable);
  g_clear_object (&data->read_cancellable);
  g_clear_object (&data->output);
  g_clear_object (&data->subprocess);
  /* Every answer comes after forget_token_file (); should one not, the
   * token still leaves the disk. */
  if (data->prepared != NULL && data->prepared->token_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (data->prepared->token_file);

      g_file_delete_async (file, G_PRIORITY_DEFAULT, NULL, on_token_file_deleted, NULL);
    }
  g_clear_pointer (&data->prepared, prepared_free);
  g_free (data->line);
  g_clear_error (&data->error);
  g_free (data->demo_dir);
  g_free (data);
}

static void
on_start_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
on_start_timeout (gpointer user_data)
{
  StartData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->read_cancellable);
  return G_SOURCE_REMOVE;
}

static void
return_stopped (GTask *task)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("The demonstration server was stopped while it started."));
}

static void
return_error (GTask *task)
{
  StartData *data = g_task_get_task_data (task);

  g_task_return_error (task, g_steal_pointer (&data->error));
}

/* Without a child that reads it, the token file goes, then the start
 * fails with error. */
static void
fail_start (GTask  *task,
            GError *error)
{
  StartData *data = g_task_get_task_data (task);

  data->error = error;
  forget_token_file (task, return_error);
}

static void url_checked (GTask *task);

static void
url_read (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *data = g_task_get_task_data (task);

  data->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                          &data->error);
  g_source_destroy (data->timeout);
  forget_token_file (task, url_checked);
}

static void
url_checked (GTask *task)
{
  OsiDemoServer *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = g_steal_pointer (&data->error);
  g_autofree char *line = g_steal_pointer (&data->line);

  if (data->generation != self->generation)
    {
      return_stopped (task);
      return;
    }
  self->starting = FALSE;

  if (error != NULL && data->timed_out)
    {
      guint seconds = (self->start_timeout_ms + 999) / 1000;

      g_clear_error (&error);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The demonstration server did not start within %u second.",
                                "The demonstration server did not start within %u seconds.",
                                seconds),
                   seconds);
    }
  else if (error == NULL && line == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The demonstration server stopped before it was ready; "
                     "its messages are in the system log or the terminal."));
    }
  else if (error == NULL && !g_str_has_prefix (line, "http://127.0.0.1:"))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The demonstration server printed “%s” instead of its address."),
                   g_strstrip (line));
    }

  if (error != NULL)
    {
      stop_child_in_background (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->url = g_strstrip (g_steal_pointer (&line));
  self->token = g_steal_pointer (&data->prepared->token);
  watch_child (self, data->subprocess);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_task_return_boolean (task, TRUE);
}

static void
folder_prepared (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiDemoServer *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *backup_dir = NULL;

  data->prepared = g_task_propagate_pointer (G_TASK (result), &error);

  if (data->generation != self->generation)
    {
      forget_token_file (task, return_stopped);
      return;
    }

  if (data->prepared == NULL)
    {
      self->starting = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *display = g_filename_display_name (data->demo_dir);

          g_prefix_error (&error, _("Cannot prepare the demonstration data in “%s”: "), display);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->prepared->program == NULL)
    {
      self->starting = FALSE;
      fail_start (task, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                     _("Cannot find the program %s: check that OSI Backup is fully installed."),
                                     SERVER_PROGRAM));
      return;
    }

  data_dir = g_build_filename (data->demo_dir, "data", NULL);
  backup_dir = g_build_filename (data->demo_dir, "backups", NULL);

  /* stderr is inherited rather than piped: it carries the server's access
   * log and, above all, why it failed to start, which belong in the
   * terminal or the journal with the app's own messages; and a pipe nobody
   * drains would stall the server once full. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);
  data->subprocess = g_subprocess_launcher_spawn (launcher, &error,
                                                  data->prepared->program,
                                                  "--data-dir", data_dir,
                                                  "--backup-dir", backup_dir,
                                                  "--listen", "127.0.0.1:0",
                                                  "--token-file", data->prepared->token_file,
                                                  NULL);
  if (data->subprocess == NULL)
    {
      self->starting = FALSE;
      g_prefix_error (&error, _("Cannot start the demonstration server: "));
      fail_start (task, g_steal_pointer (&error));
      return;
    }
  self->subprocess = g_object_ref (data->subprocess);

  data->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (data->subprocess));
  data->read_cancellable = g_cancellable_new ();
  if (data->cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (data->cancellable, G_CALLBACK (on_start_cancelled),
                                                data->read_cancellable, NULL);

  data->timeout = g_timeout_source_new (self->start_timeout_ms);
  g_source_set_callback (data->timeout, on_start_timeout, data, NULL);
  g_source_attach (data->timeout, g_task_get_context (task));

  /* The server prints the URL it listens on, port included, as its first
   * line once it accepts connections. */
  g_data_input_stream_read_line_async (data->output, G_PRIORITY_DEFAULT, data->read_cancellable,
                                       url_read, g_steal_pointer (&task));
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_demo_server_dispose (GObject *object)
{
  OsiDemoServer *self = OSI_DEMO_SERVER (object);

  stop_child (self);

  G_OBJECT_CLASS (osi_demo_server_parent_class)->dispose (object);
}

static void
osi_demo_server_finalize (GObject *object)
{
  OsiDemoServer *self = OSI_DEMO_SERVER (object);

  g_assert (self->subprocess == NULL);
  g_free (self->url);
  g_clear_pointer (&self->token, osi_wipe_free);

  G_OBJECT_CLASS (osi_demo_server_parent_class)->finalize (object);
}

static void
osi_demo_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OsiDemoServer *self = OSI_DEMO_SERVER (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_demo_server_class_init (OsiDemoServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_demo_server_dispose;
  object_class->finalize = osi_demo_server_finalize;
  object_class->get_property = osi_demo_server_get_property;

  /* NULL but while the server runs. */
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_demo_server_init (OsiDemoServer *self)
{
  self->start_timeout_ms = START_TIMEOUT_MS;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiDemoServer *
osi_demo_server_new (void)
{
  return g_object_new (OSI_TYPE_DEMO_SERVER, NULL);
}

void
osi_demo_server_start_async (OsiDemoServer       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) prepare = NULL;
  StartData *data;

  g_return_if_fail (OSI_IS_DEMO_SERVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_demo_server_start_async);

  if (self->url != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->starting)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The demonstration server is already starting."));
      return;
    }
  self->starting = TRUE;

  data = g_new0 (StartData, 1);
  data->demo_dir = _osi_demo_server_dup_folder ();
  data->generation = self->generation;
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);

  /* Making the folder is disk-bound work for a thread; spawning is not:
   * it must happen on this thread (see child_setup). */
  prepare = g_task_new (self, cancellable, folder_prepared, g_steal_pointer (&task));
  g_task_set_source_tag (prepare, prepare_thread);
  g_task_set_task_data (prepare, g_strdup (data->demo_dir), g_free);
  g_task_run_in_thread (prepare, prepare_thread);
}

gboolean
osi_demo_server_start_finish (OsiDemoServer  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (OSI_IS_DEMO_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_demo_server_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
osi_demo_server_get_url (OsiDemoServer *self)
{
  g_return_val_if_fail (OSI_IS_DEMO_SERVER (self), NULL);

  return self->url;
}

const char *
osi_demo_server_get_token (OsiDemoServer *self)
{
  g_return_val_if_fail (OSI_IS_DEMO_SERVER (self), NULL);

  return self->token;
}

/* Blocks until the child is gone: at most STOP_TIMEOUT_MS for SIGTERM,
 * then as long again after SIGKILL. */
void
osi_demo_server_stop (OsiDemoServer *self)
{
  g_return_if_fail (OSI_IS_DEMO_SERVER (self));

  if (stop_child (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

void
osi_demo_server_stop_async (OsiDemoServer       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  gboolean had_url;

  g_return_if_fail (OSI_IS_DEMO_SERVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_demo_server_stop_async);
  subprocess = forget_child (self, &had_url);
  if (had_url)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  if (subprocess == NULL)
    g_task_return_boolean (task, TRUE);
  else
    terminate_async (subprocess, task);
}

gboolean
osi_demo_server_stop_finish (OsiDemoServer  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Private API                                                              */

char *
_osi_demo_server_dup_folder (void)
{
  return g_build_filename (g_get_user_cache_dir (), "osi-backup", "demo", NULL);
}

GPid
_osi_demo_server_get_pid (OsiDemoServer *self)
{
  const char *id;

  g_return_val_if_fail (OSI_IS_DEMO_SERVER (self), 0);

  if (self->subprocess == NULL)
    return 0;
  id = g_subprocess_get_identifier (self->subprocess);
  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

void
_osi_demo_server_set_start_timeout (OsiDemoServer *self,
                                    guint          timeout_ms)
{
  g_return_if_fail (OSI_IS_DEMO_SERVER (self));

  self->start_timeout_ms = timeout_ms;
}
