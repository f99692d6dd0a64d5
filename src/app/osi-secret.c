/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-secret"

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "osi-error.h"
#include "osi-open.h"
#include "osi-secret.h"
#include "osi-wipe.h"

/* Which failures mean "there is no keyring here", so that the token goes
 * to the file instead, and which are real errors to report:
 *
 * - No session bus at all (no $DBUS_SESSION_BUS_ADDRESS and no X11
 *   autolaunch, a socket that is gone, dbus-launch missing): the keyring
 *   cannot be reached whatever the error code says (G_IO_ERROR_NOT_FOUND,
 *   G_IO_ERROR_FAILED, G_SPAWN_ERROR_*…). Rather than guess from codes
 *   that mean other things elsewhere, we ask for the bus first
 *   (g_bus_get, the connection libsecret shares) and any failure there
 *   means "no keyring".
 * - A bus, but nobody owns org.freedesktop.secrets and nothing can be
 *   activated: G_DBUS_ERROR_SERVICE_UNKNOWN, G_DBUS_ERROR_NAME_HAS_NO_OWNER.
 * - An activatable service that fails to start (gnome-keyring-daemon
 *   without a desktop session): G_DBUS_ERROR_SPAWN_*.
 * - The bus connection closed under us: G_IO_ERROR_CLOSED.
 * - A service without a default collection, so nowhere to store:
 *   SECRET_ERROR_NO_SUCH_OBJECT ("No such secret collection at path: /").
 *
 * Anything else (a locked keyring whose prompt the user dismissed, a
 * cancellation, a protocol error) is the user's or the keyring's answer,
 * and is returned: falling back to a plain file then would store a token
 * where the user did not want it. */
static gboolean
keyring_unavailable (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    {
      switch (error->code)
        {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
        case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
        case G_DBUS_ERROR_SPAWN_FILE_INVALID:
        case G_DBUS_ERROR_SPAWN_NO_MEMORY:
          return TRUE;

        default:
          return FALSE;
        }
    }
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
         g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
}

/* Any non-empty value turns the keyring off: tests, headless servers. */
static gboolean
keyring_disabled (void)
{
  const char *value = g_getenv ("OSI_BACKUP_NO_KEYRING");

  return value != NULL && value[0] != '\0';
}

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "org.osi.Backup.Token", SECRET_SCHEMA_NONE,
    {
      { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* Profile ids are UUIDs; the file backend uses them as file names, so
 * anything else (a "..", a "/") is refused before it gets near a path. */
static gboolean
check_profile_id (const char  *profile_id,
                  GError     **error)
{
  gsize len = strlen (profile_id);

  if (len > 0 && len <= 128 &&
      strspn (profile_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == len)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Invalid server profile identifier."));
  return FALSE;
}

typedef enum
{
  OP_STORE,
  OP_LOOKUP,
  OP_CLEAR,
} Op;

typedef struct
{
  Op        op;
  gboolean  stored_in_keyring; /* store: only the old file is left to remove */
  char     *profile_id;
  char     *label;
  char     *token;
  GError   *keyring_error;     /* clear: returned after the file is removed */
} Request;

static void
request_free (gpointer data)
{
  Request *request = data;

  g_free (request->profile_id);
  g_free (request->label);
  osi_wipe_free (request->token);
  g_clear_error (&request->keyring_error);
  g_free (request);
}

/* ------------------------------------------------------------------------ */
/* The file backend: blocking, run in a thread                              */

#define MAX_TOKEN_BYTES (64 * 1024)

static char *
tokens_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "osi-backup", "tokens", NULL);
}

/* Creates the folder 0700 if needed, and takes back a folder someone made
 * readable by others. Returns a descriptor to fsync it, or -1. */
static int
open_tokens_dir (const char  *dir,
                 GError     **error)
{
  struct stat st;
  int saved_errno;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      saved_errno = errno;
      osi_set_error_from_errno (error, saved_errno, _("Cannot create the folder %s"), dir);
      return -1;
    }

  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      saved_errno = errno;
      osi_set_error_from_errno (error, saved_errno, _("Cannot open the folder %s"), dir);
      return -1;
    }

  if (fstat (fd, &st) < 0)
    {
      saved_errno = errno;
      close (fd);
      osi_set_error_from_errno (error, saved_errno, _("Cannot open the folder %s"), dir);
      return -1;
    }
  if (st.st_uid != getuid ())
    {
      /* Someone else's folder: our tokens would be theirs to read. */
      close (fd);
      osi_set_error_from_errno (error, EPERM, _("Cannot use the folder %s"), dir);
      return -1;
    }
  if ((st.st_mode & 07777) != 0700 && fchmod (fd, 0700) < 0)
    {
      saved_errno = errno;
      close (fd);
      osi_set_error_from_errno (error, saved_errno, _("Cannot protect the folder %s"), dir);
      return -1;
    }
  return fd;
}

/* Written whole under a temporary name in the same folder, then renamed:
 * a crash leaves the old token or the new one, never half a token, and the
 * file is never readable by others, not even for an instant. */
static gboolean
file_store (const char  *profile_id,
            const char  *token,
            GError     **error)
{
  g_autofree char *dir = tokens_dir ();
  g_autofree char *path = g_build_filename (dir, profile_id, NULL);
  g_autofree char *tmp = NULL;
  int write_errno = 0;
  int dir_fd;
  int fd;

  dir_fd = open_tokens_dir (dir, error);
  if (dir_fd < 0)
    return FALSE;

  tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, profile_id);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      close (dir_fd);
      return osi_set_error_from_errno (error, saved_errno, _("Cannot save the token in %s"), dir);
    }

  if (fchmod (fd, 0600) < 0 ||
      !osi_write_all (fd, token, strlen (token), &write_errno) ||
      fsync (fd) < 0 ||
      close (g_steal_fd (&fd)) < 0 ||
      rename (tmp, path) < 0)
    {
      int saved_errno = write_errno != 0 ? write_errno : errno;

      osi_abandon_temporary (&fd, &tmp);
      close (dir_fd);
      return osi_set_error_from_errno (error, saved_errno, _("Cannot save the token in %s"), path);
    }
  /* The rename itself survives a crash only once the folder is synced. */
  fsync (dir_fd);
  close (dir_fd);
  return TRUE;
}

/* TRUE with *token NULL when there is no file. */
static gboolean
file_lookup (const char  *profile_id,
             char       **token,
             GError     **error)
{
  g_autofree char *dir = tokens_dir ();
  g_autofree char *path = g_build_filename (dir, profile_id, NULL);
  g_autofree char *data = NULL;
  struct stat st;
  gsize len = 0;
  int fd;

  *token = NULL;
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return TRUE;
      return osi_set_error_from_errno (error, saved_errno, _("Cannot read the token in %s"), path);
    }
  if (fstat (fd, &st) < 0)
    {
      int saved_errno = errno;

      close (fd);
      return osi_set_error_from_errno (error, saved_errno, _("Cannot read the token in %s"), path);
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_TOKEN_BYTES)
    {
      close (fd);
      return osi_set_error_from_errno (error, EINVAL, _("Cannot read the token in %s"), path);
    }
  /* Someone made it readable by others: take it back. */
  if ((st.st_mode & 077) != 0)
    fchmod (fd, 0600);

  data = g_malloc (st.st_size + 1);
  while (len < (gsize)st.st_size)
    {
      ssize_t n = read (fd, data + len, st.st_size - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          explicit_bzero (data, len);
          close (fd);
          return osi_set_error_from_errno (error, saved_errno, _("Cannot read the token in %s"), path);
        }
      if (n == 0)
        break;
      len += n;
    }
  close (fd);
  data[len] = '\0';

  /* Someone who wrote the file with echo left a line break. */
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
    data[--len] = '\0';
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    {
      explicit_bzero (data, len);
      return osi_set_error_from_errno (error, EINVAL, _("Cannot read the token in %s"), path);
    }
  *token = g_steal_pointer (&data);
  return TRUE;
}

static gboolean
file_clear (const char  *profile_id,
            GError     **error)
{
  g_autofree char *dir = tokens_dir ();
  g_autofree char *path = g_build_filename (dir, profile_id, NULL);
  int saved_errno;

  if (g_unlink (path) == 0)
    return TRUE;
  saved_errno = errno;
  if (saved_errno == ENOENT)
    return TRUE;
  return osi_set_error_from_errno (error, saved_errno, _("Cannot remove the token in %s"), path);
}

/* The file's part of a request: all of it without a keyring, the
 * clean-up after one, or the keyring's fallback. */
static void
file_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Request *request = task_data;
  GError *error = NULL;
  char *token = NULL;

  switch (request->op)
    {
    case OP_STORE:
      if (request->stored_in_keyring)
        {
          /* After the keyring took the token: a copy left in a file from a
           * time without keyring would be a plain-text credential for nothing. */
          if (!file_clear (request->profile_id, &error))
            {
              g_debug ("Token kept in the keyring, but its old file stays: %s", error->message);
              g_error_free (error);
            }
          g_task_return_int (task, OSI_SECRET_BACKEND_KEYRING);
        }
      else if (file_store (request->profile_id, request->token, &error))
        g_task_return_int (task, OSI_SECRET_BACKEND_FILE);
      else
        g_task_return_error (task, error);
      break;

    case OP_LOOKUP:
      if (file_lookup (request->profile_id, &token, &error))
        g_task_return_pointer (task, token, (GDestroyNotify)osi_wipe_free);
      else
        g_task_return_error (task, error);
      break;

    case OP_CLEAR:
      if (!file_clear (request->profile_id, &error))
        g_task_return_error (task, error);
      else if (request->keyring_error != NULL)
        g_task_return_error (task, g_steal_pointer (&request->keyring_error));
      else
        g_task_return_boolean (task, TRUE);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------ */
/* The keyring                                                              */

static GTask *
request_task_new (Op                   op,
                  const char          *profile_id,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, source_tag);
  request->op = op;
  request->profile_id = g_strdup (profile_id);
  g_task_set_task_data (task, request, request_free);
  return task;
}

/* Whether to go on with the file: FALSE when the task got its error. */
static gboolean
keyring_failed (GTask  *task,
                GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !keyring_unavailable (error))
    {
      g_task_return_error (task, error);
      return FALSE;
    }
  g_debug ("No keyring (%s): using the token file", error->message);
  g_error_free (error);
  return TRUE;
}

static void
on_keyring_stored (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    {
      request->stored_in_keyring = TRUE;
      g_task_run_in_thread (task, file_thread);
    }
  else if (error == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("The keyring did not keep the token."));
  else if (keyring_failed (task, error))
    g_task_run_in_thread (task, file_thread);
}

static void
on_keyring_looked_up (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token;

  token = secret_password_lookup_finish (result, &error);
  if (token != NULL)
    {
      /* Copied so that one free function (osi_wipe_free) fits every result. */
      char *copy = g_strdup (token);

      secret_password_free (token);
      g_task_return_pointer (task, copy, (GDestroyNotify)osi_wipe_free);
      return;
    }
  /* Not in the keyring: it may be in a file from a time without one. */
  if (error == NULL || keyring_failed (task, error))
    g_task_run_in_thread (task, file_thread);
}

static void
on_keyring_cleared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  /* FALSE without an error: there was nothing to clear. */
  secret_password_clear_finish (result, &error);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  if (error != NULL && keyring_unavailable (error))
    g_clear_error (&error);
  /* Both places, whatever the keyring said: the file may hold a copy. */
  request->keyring_error = error;
  g_task_run_in_thread (task, file_thread);
}

/* Once the session bus, which libsecret shares, is there: no bus means
 * no keyring, and the file does it all. */
static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);
  Request *request = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *label = NULL;

  if (bus == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (bus == NULL)
    {
      g_debug ("No session bus (%s): to the token file", error->message);
      g_task_run_in_thread (task, file_thread);
      return;
    }

  switch (request->op)
    {
    case OP_STORE:
      /* TRANSLATORS: the label of the token in the keyring (Passwords and
       * Keys); %s is the name of the server profile. */
      label = g_strdup_printf (_("OSI Backup token – %s"), request->label);
      secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, request->token,
                             cancellable, on_keyring_stored, g_object_ref (task),
                             "profile", request->profile_id,
                             NULL);
      break;

    case OP_LOOKUP:
      secret_password_lookup (token_schema (), cancellable, on_keyring_looked_up, g_object_ref (task),
                              "profile", request->profile_id,
                              NULL);
      break;

    case OP_CLEAR:
      secret_password_clear (token_schema (), cancellable, on_keyring_cleared, g_object_ref (task),
                             "profile", request->profile_id,
                             NULL);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

/* Checks the profile id, then goes to the file (the keyring turned off)
 * or to the session bus for the keyring. Takes task. */
static void
request_start (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  if (!check_profile_id (request->profile_id, &error))
    g_task_return_error (task, error);
  else if (keyring_disabled ())
    g_task_run_in_thread (task, file_thread);
  else
    {
      g_bus_get (G_BUS_TYPE_SESSION, g_task_get_cancellable (task), on_bus, task);
      return;
    }
  g_object_unref (task);
}

/* label: the profile's name, shown in the keyring manager (NULL: the id). */
void
osi_secret_store_async (const char          *profile_id,
                        const char          *label,
                        const char          *token,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = request_task_new (OP_STORE, profile_id, cancellable, callback, user_data, osi_secret_store_async);
  request = g_task_get_task_data (task);
  request->label = g_strdup (label != NULL && label[0] != '\0' ? label : profile_id);
  request->token = g_strdup (token);
  request_start (task);
}

gboolean
osi_secret_store_finish (GAsyncResult      *result,
                         OsiSecretBackend  *backend,
                         GError           **error)
{
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_secret_store_async, FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  if (backend != NULL)
    *backend = value;
  return TRUE;
}

/* The keyring first (unless turned off), then the file. */
void
osi_secret_lookup_async (const char          *profile_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  request_start (request_task_new (OP_LOOKUP, profile_id, cancellable, callback, user_data,
                                   osi_secret_lookup_async));
}

char *
osi_secret_lookup_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_secret_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Removes the token from the keyring and from the file. */
void
osi_secret_clear_async (const char          *profile_id,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  request_start (request_task_new (OP_CLEAR, profile_id, cancellable, callback, user_data,
                                   osi_secret_clear_async));
}

gboolean
osi_secret_clear_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_secret_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
