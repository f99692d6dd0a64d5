/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "osi-i18n.h"
#include "osi-private-file.h"
#include "osi-s3.h"
#include "osi-server.h"

#define EXIT_USAGE          2
#define MAX_TOKEN_FILE      4096
#define DEFAULT_LISTEN      "127.0.0.1:8000"
#define DEFAULT_MAX_UPLOAD  (G_GUINT64_CONSTANT (10) << 30)
#define MAX_CONNECTIONS     1000000
#define MAX_TIMEOUT         86400
#define DEFAULT_RETRY_MAX   300

typedef struct
{
  GMainLoop *loop;
  OsiServer *server;
  gboolean   stopping;
} State;

/* A token file must be the owner's alone: anyone else who can read it can
 * restore over the data. */
static char *
read_token_file (const char  *path,
                 GError     **error)
{
  g_autofree char *text = NULL;
  OsiPrivateFileProblem problem;
  gsize length;

  text = osi_private_file_read (path, MAX_TOKEN_FILE, &length, &problem);
  if (text == NULL)
    {
      switch (problem.kind)
        {
        case OSI_PRIVATE_FILE_NOT_REGULAR:
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       _("The token file “%s” is not a regular file."), path);
          break;
        case OSI_PRIVATE_FILE_OPEN_TO_OTHERS:
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                       _("The token file “%s” is open to other users (mode %03o): run “chmod 600 %s” first."),
                       path, problem.mode, path);
          break;
        case OSI_PRIVATE_FILE_UNREADABLE:
        default:
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (problem.saved_errno),
                       _("Cannot read the token file “%s”: %s"), path, g_strerror (problem.saved_errno));
          break;
        }
      return NULL;
    }
  /* What lies past the first MAX_TOKEN_FILE bytes is not read. */
  text[MIN (length, MAX_TOKEN_FILE)] = '\0';
  g_strstrip (text);
  if (text[0] == '\0')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, _("The token file “%s” is empty."), path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static void
shutdown_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  State *state = user_data;
  g_autoptr(GError) error = NULL;

  if (!osi_server_shutdown_finish (OSI_SERVER (source), result, &error))
    g_message ("Shutdown: %s", error->message);
  g_main_loop_quit (state->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  State *state = user_data;

  if (!state->stopping)
    {
      state->stopping = TRUE;
      osi_server_shutdown_async (state->server, shutdown_done, state);
    }
  return G_SOURCE_CONTINUE;
}

/* A whole number within [min, max] for option (text NULL: not given,
 * *out left alone), or FALSE after saying why. */
static gboolean
parse_count (const char *option,
             const char *text,
             guint       min,
             guint       max,
             guint      *out)
{
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("%s takes a whole number from %u to %u."), option, min, max);

      fprintf (stderr, "osi-backup-server: %s\n", message);
      return FALSE;
    }
  *out = (guint)value;
  return TRUE;
}

static int
fail (const char *message)
{
  fprintf (stderr, "osi-backup-server: %s\n", message);
  return EXIT_FAILURE;
}

/* The off-site options (docs/api.md §7.1): EXIT_USAGE for a usage error,
 * 1 (with the message) for a credentials file the server cannot use. */
static int
check_offsite_options (OsiServerOptions *options,
                       const char       *retry_max)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiS3) s3 = NULL;

  options->offsite_retry_max = DEFAULT_RETRY_MAX;
  if (!parse_count ("--offsite-retry-max", retry_max, 1, MAX_TIMEOUT, &options->offsite_retry_max))
    return EXIT_USAGE;
  if (options->offsite_url == NULL &&
      (options->offsite_credentials != NULL || options->offsite_region != NULL || retry_max != NULL))
    {
      fprintf (stderr, "osi-backup-server: %s\n",
               _("--offsite-credentials, --offsite-region and --offsite-retry-max go with --offsite-url."));
      return EXIT_USAGE;
    }
  if (options->offsite_url == NULL)
    return EXIT_SUCCESS;
  if (options->offsite_credentials == NULL)
    {
      fprintf (stderr, "osi-backup-server: %s\n",
               _("--offsite-url needs --offsite-credentials FILE (the storage's access_key and secret_key)."));
      return EXIT_USAGE;
    }
  /* The keys are read now, so that a file the server cannot use stops it
   * at once (docs/api.md §7.1); the gateway is not asked anything. */
  if (!osi_s3_read_credentials (options->offsite_credentials, &options->offsite_access_key,
                                &options->offsite_secret_key, &error))
    return fail (error->message);
  s3 = osi_s3_new (options->offsite_url, options->offsite_access_key, options->offsite_secret_key,
                   options->offsite_region, options->offsite_credentials, &error);
  if (s3 == NULL)
    {
      fprintf (stderr, "osi-backup-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  return EXIT_SUCCESS;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *max_upload = NULL;
  g_autofree char *max_connections = NULL;
  g_autofree char *header_timeout = NULL;
  g_autofree char *idle_timeout = NULL;
  g_autofree char *retry_max = NULL;
  g_autofree char *url = NULL;
  gboolean version = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(OsiServerOptions) options = { 0 };
  State state = { 0 };
  guint sigterm_id, sigint_id;
  int status;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.data_dir, N_("The data folder to back up and restore"), N_("DIR") },
    { "backup-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.backup_dir, N_("The folder that holds the backups"), N_("DIR") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, N_("Address and port to listen on (port 0 picks a free one; default 127.0.0.1:8000)"), N_("HOST:PORT") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file, N_("File holding the bearer token (mode 600); default $OSI_BACKUP_TOKEN"), N_("FILE") },
    { "no-auth", 0, 0, G_OPTION_ARG_NONE, &options.no_auth, N_("Accept requests without a token (loopback addresses only)"), NULL },
    { "on-restore", 0, 0, G_OPTION_ARG_STRING, &options.on_restore, N_("Shell command run after each restore, e.g. to reload the RAG service"), N_("COMMAND") },
    { "max-upload", 0, 0, G_OPTION_ARG_STRING, &max_upload, N_("Largest upload accepted, in bytes (default 10 GiB)"), N_("BYTES") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_cert, N_("PEM certificate: serve HTTPS"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_key, N_("PEM private key of the certificate"), N_("FILE") },
    { "max-connections", 0, 0, G_OPTION_ARG_STRING, &max_connections, N_("Most connections open at once; beyond, new ones are answered 503 (default: from the open file limit)"), N_("N") },
    { "header-timeout", 0, 0, G_OPTION_ARG_STRING, &header_timeout, N_("Seconds a connection has to send a complete request head (default 15)"), N_("SECONDS") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_STRING, &idle_timeout, N_("Seconds a connection may stay silent between requests or within a transfer (default 60)"), N_("SECONDS") },
    { "offsite-url", 0, 0, G_OPTION_ARG_STRING, &options.offsite_url, N_("Copy every backup to this S3-compatible bucket: https://HOST[:PORT]/BUCKET[/PREFIX]"), N_("URL") },
    { "offsite-credentials", 0, 0, G_OPTION_ARG_FILENAME, &options.offsite_credentials, N_("File holding the storage's access_key and secret_key (mode 600)"), N_("FILE") },
    { "offsite-region", 0, 0, G_OPTION_ARG_STRING, &options.offsite_region, N_("The storage's region (default us-east-1)"), N_("NAME") },
    { "offsite-retry-max", 0, 0, G_OPTION_ARG_STRING, &retry_max, N_("Longest wait between two tries of an off-site copy, in seconds (default 300)"), N_("SECONDS") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  osi_i18n_init ();
  /* Standard output carries the URL alone; every log goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Serves the OSI backup API over a data folder and a backup folder."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "osi-backup-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (version)
    {
      printf ("osi-backup-server %s\n", VERSION);
      return EXIT_SUCCESS;
    }
  if (argc > 1 || options.data_dir == NULL || options.backup_dir == NULL)
    {
      fprintf (stderr, "osi-backup-server: %s\n",
               _("Usage: osi-backup-server --data-dir DIR --backup-dir DIR [--listen HOST:PORT] [--token-file FILE]"));
      return EXIT_USAGE;
    }

  options.max_upload = DEFAULT_MAX_UPLOAD;
  if (max_upload != NULL &&
      !g_ascii_string_to_unsigned (max_upload, 10, 1, G_MAXUINT64, &options.max_upload, NULL))
    {
      fprintf (stderr, "osi-backup-server: %s\n", _("--max-upload takes a number of bytes."));
      return EXIT_USAGE;
    }
  if (!parse_count ("--max-connections", max_connections, 1, MAX_CONNECTIONS, &options.max_connections) ||
      !parse_count ("--header-timeout", header_timeout, 1, MAX_TIMEOUT, &options.header_timeout) ||
      !parse_count ("--idle-timeout", idle_timeout, 1, MAX_TIMEOUT, &options.idle_timeout))
    return EXIT_USAGE;

  status = check_offsite_options (&options, retry_max);
  if (status != EXIT_SUCCESS)
    return status;

  if (token_file != NULL)
    {
      options.token = read_token_file (token_file, &error);
      if (options.token == NULL)
        return fail (error->message);
    }
  else if (g_getenv ("OSI_BACKUP_TOKEN") != NULL)
    {
      options.token = g_strstrip (g_strdup (g_getenv ("OSI_BACKUP_TOKEN")));
      if (options.token[0] == '\0')
        g_clear_pointer (&options.token, g_free);
    }
  if (options.no_auth && options.token != NULL)
    g_message ("--no-auth given: the token is ignored");

  server = osi_server_new (&options, &error);
  if (server == NULL)
    return fail (error->message);
  if (!osi_server_listen (server, listen != NULL ? listen : DEFAULT_LISTEN, &error))
    return fail (error->message);

  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;
  state.server = server;
  /* Before the URL goes out: whoever reads it may stop us at once. */
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &state);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &state);

  url = osi_server_get_url (server);
  printf ("%s\n", url);
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);

  g_clear_object (&server);
  /* let the closed connections be freed */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return EXIT_SUCCESS;
}
