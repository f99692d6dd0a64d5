/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-cli-private.h"
#include "osi-client.h"
#include "osi-search.h"

/* The network commands: each opens a client from the global options, runs
 * one asynchronous call to its end on a private main context, and turns
 * the outcome into the exit status of docs/api.md §9. */

int
osi_cli_fail (const GError *error)
{
  g_printerr ("osi-backup-cli: %s\n", error->message);
  /* The server refusing a damaged backup is a verification finding. */
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY))
    return OSI_CLI_EXIT_PROBLEM;
  return OSI_CLI_EXIT_SERVER;
}

static char *
read_token (const OsiCliGlobals  *globals,
            GError              **error)
{
  g_autofree char *contents = NULL;
  const char *env;

  if (globals->token_file != NULL)
    {
      if (!g_file_get_contents (globals->token_file, &contents, NULL, error))
        return NULL;
      return g_strdup (g_strstrip (contents));
    }

  env = g_getenv ("OSI_BACKUP_TOKEN");
  if (env != NULL && *env != '\0')
    {
      g_autofree char *copy = g_strdup (env);
      return g_strdup (g_strstrip (copy));
    }

  return NULL;
}

OsiClient *
osi_cli_open_client (const OsiCliGlobals *globals,
             int                 *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autofree char *token = NULL;

  if (globals->server == NULL || *globals->server == '\0')
    {
      *status = osi_cli_usage_error (_("no server given: use --server URL or set $OSI_BACKUP_SERVER"));
      return NULL;
    }

  token = read_token (globals, &error);
  if (error != NULL)
    {
      g_printerr ("osi-backup-cli: %s\n", error->message);
      *status = OSI_CLI_EXIT_USAGE;
      return NULL;
    }

  client = osi_client_new (globals->server, token);
  if (!osi_client_set_server_time_zone (client, globals->server_time_zone, &error))
    {
      g_autofree char *message = g_strdup_printf ("--server-time-zone: %s", error->message);

      *status = osi_cli_usage_error (message);
      return NULL;
    }
  return g_steal_pointer (&client);
}

void
osi_cli_store_result (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

GAsyncResult *
osi_cli_wait (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

typedef struct
{
  gboolean tty;
  gint64   last;
} ProgressLine;

static void
on_transfer_progress (guint64  done,
                      guint64  total,
                      double   rate,
                      gpointer user_data)
{
  ProgressLine *line = user_data;
  g_autofree char *done_s = NULL;
  g_autofree char *total_s = NULL;
  g_autofree char *rate_s = NULL;
  gint64 now = g_get_monotonic_time ();

  if (!line->tty || (now - line->last < G_USEC_PER_SEC / 5 && done != total))
    return;
  line->last = now;

  done_s = g_format_size (done);
  rate_s = g_format_size ((guint64)MAX (rate, 0));
  if (total > 0)
    {
      total_s = g_format_size (total);
      /* Translators: bytes done / total (percent) — rate per second */
      g_printerr ("\r");
      g_printerr (_("%s / %s (%u %%) — %s/s   "), done_s, total_s,
                  (guint)(done * 100 / total), rate_s);
    }
  else
    {
      g_printerr ("\r");
      g_printerr (_("%s — %s/s   "), done_s, rate_s);
    }
}

/* One network command under way: what it was given and the call that
 * runs it. */
typedef struct
{
  OsiClient    *client;
  const char   *arg;          /* the backup name or the file given, if any */
  gboolean      json;         /* list --json */
  char         *directory;    /* download -o */
  ProgressLine  line;         /* shown by transfers only */
  GAsyncResult *result;
} Call;

/* Runs the main context until the call started just before has ended,
 * then ends the progress line. */
static GAsyncResult *
wait_for (Call *call)
{
  osi_cli_wait (&call->result);
  if (call->line.tty)
    g_printerr ("\n");
  return call->result;
}

static void
print_list (GPtrArray *backups)
{
  if (backups->len == 0)
    {
      g_print ("%s\n", _("No backup on this server."));
      return;
    }

  for (guint i = 0; i < backups->len; i++)
    {
      OsiBackupInfo *info = g_ptr_array_index (backups, i);
      gint64 size = osi_backup_info_get_size (info);
      g_autofree char *size_s = size >= 0 ? g_format_size ((guint64)size) : g_strdup ("?");

      const char *problem = osi_backup_info_get_problem (info);
      g_autofree char *name = osi_format_untrusted (osi_backup_info_get_name (info));

      /* Dates are shown in this computer's time, JJ/MM/AAAA HH:MM. */
      g_print ("%-16s  %10s  %s\n", osi_backup_info_get_display_date (info), size_s, name);
      if (problem != NULL)
        g_print ("    %s\n", problem);
    }
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u backup\n", "%u backups\n", backups->len), backups->len);
  if (backups->len < OSI_MIN_KEPT_BACKUPS)
    g_print ("%s\n", _("Fewer than three backups: keep at least three recent ones."));
}

static gboolean
run_list (Call    *call,
          GError **error)
{
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  osi_client_list_async (call->client, NULL, osi_cli_store_result, &call->result);
  backups = osi_client_list_finish (call->client, wait_for (call), error);
  if (backups == NULL)
    return FALSE;
  if (!call->json)
    {
      print_list (backups);
      return TRUE;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backups");
  json_builder_begin_array (builder);
  for (guint i = 0; i < backups->len; i++)
    json_builder_add_value (builder, osi_backup_info_to_json (g_ptr_array_index (backups, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  osi_cli_print_json (root);
  return TRUE;
}

static void
print_server_message (const char *message)
{
  if (message != NULL)
    g_print (_("Server: %s\n"), message);
}

static gboolean
run_create (Call    *call,
            GError **error)
{
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;

  osi_client_create_async (call->client, NULL, osi_cli_store_result, &call->result);
  if (!osi_client_create_finish (call->client, wait_for (call), &info, &message, error))
    return FALSE;

  if (info != NULL)
    g_print (_("Backup created: %s\n"), osi_backup_info_get_name (info));
  else
    g_print ("%s\n", _("Backup created. The server did not say under which name: list the backups to see it."));
  print_server_message (message);
  return TRUE;
}

static gboolean
run_restore (Call    *call,
             GError **error)
{
  g_autofree char *safety = NULL;
  g_autofree char *message = NULL;

  osi_client_restore_async (call->client, call->arg, NULL, osi_cli_store_result, &call->result);
  if (!osi_client_restore_finish (call->client, wait_for (call), &safety, &message, error))
    return FALSE;

  if (safety != NULL)
    g_print (_("Restored %s. The data it replaced goes into the safety backup %s (listed once it is made).\n"),
             call->arg, safety);
  else
    g_print (_("Restored %s. The server did not name a safety backup of the data it replaced.\n"), call->arg);
  print_server_message (message);
  return TRUE;
}

static gboolean
run_delete (Call    *call,
            GError **error)
{
  osi_client_delete_async (call->client, call->arg, NULL, osi_cli_store_result, &call->result);
  if (!osi_client_delete_finish (call->client, wait_for (call), error))
    return FALSE;
  g_print (_("Deleted %s.\n"), call->arg);
  return TRUE;
}

static gboolean
run_download (Call    *call,
              GError **error)
{
  g_autofree char *path = NULL;

  osi_client_download_async (call->client, call->arg, call->directory != NULL ? call->directory : ".",
                             on_transfer_progress, &call->line, NULL, osi_cli_store_result, &call->result);
  path = osi_client_download_finish (call->client, wait_for (call), NULL, error);
  if (path == NULL)
    return FALSE;
  g_print (_("Downloaded to %s\n"), path);
  return TRUE;
}

static gboolean
run_upload (Call    *call,
            GError **error)
{
  g_autoptr(OsiBackupInfo) info = NULL;

  osi_client_upload_async (call->client, call->arg, on_transfer_progress, &call->line, NULL,
                           osi_cli_store_result, &call->result);
  info = osi_client_upload_finish (call->client, wait_for (call), error);
  if (info == NULL)
    return FALSE;
  g_print (_("Uploaded as %s\n"), osi_backup_info_get_name (info));
  return TRUE;
}

typedef enum
{
  TAKES_NOTHING,
  TAKES_BACKUP_NAME,   /* only names a server could hold */
  TAKES_FILE,
} Argument;

typedef struct
{
  const char *name;
  Argument    argument;
  gboolean    transfer;    /* shows its progress on a terminal */
  const char *option;      /* its one option, if any */
  const char *summary;     /* for --help; NULL: takes no option */
  gboolean  (*run) (Call *call, GError **error);
} Command;

static const Command commands[] = {
  { "list", TAKES_NOTHING, FALSE, "json", N_("Lists the server’s backups, newest first."), run_list },
  { "create", TAKES_NOTHING, FALSE, NULL, NULL, run_create },
  { "restore", TAKES_BACKUP_NAME, FALSE, NULL, NULL, run_restore },
  { "delete", TAKES_BACKUP_NAME, FALSE, NULL, NULL, run_delete },
  { "download", TAKES_BACKUP_NAME, TRUE, "output",
    N_("Downloads a backup; an interrupted download resumes where it stopped."), run_download },
  { "upload", TAKES_FILE, TRUE, NULL, NULL, run_upload },
};

/* The options of the command, when it has any. */
static gboolean
parse_options (const Command   *command,
               Call            *call,
               int             *argc,
               char          ***argv,
               int             *status)
{
  const GOptionEntry options[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &call->json, N_("Print the list as JSON"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &call->directory,
      N_("Folder to download into (default: the current one)"), N_("DIR") },
  };
  GOptionEntry entries[2] = { { NULL } };

  if (command->summary == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (g_strcmp0 (options[i].long_name, command->option) == 0)
      entries[0] = options[i];
  return osi_cli_parse_options (argc, argv, _(command->summary), NULL, entries, status);
}

/* What the command is given, said wrong before any network traffic. */
static gboolean
take_argument (const Command  *command,
               int             argc,
               char          **argv,
               const char    **out,
               int            *status)
{
  g_autofree char *message = NULL;

  if (command->argument == TAKES_NOTHING)
    {
      if (argc == 1)
        return TRUE;
      message = g_strdup_printf (_("“%s” takes no argument"), command->name);
    }
  else if (argc != 2)
    message = g_strdup_printf (command->argument == TAKES_FILE ? _("“%s” takes exactly one file")
                                                              : _("“%s” takes exactly one backup name"),
                               command->name);
  else if (command->argument == TAKES_BACKUP_NAME && !osi_backup_name_is_valid (argv[1]))
    message = g_strdup_printf (_("“%s” is not a valid backup name"), argv[1]);
  else if (command->argument == TAKES_FILE && !g_file_test (argv[1], G_FILE_TEST_IS_REGULAR))
    message = g_strdup_printf (_("“%s” is not a file"), argv[1]);
  else
    {
      *out = argv[1];
      return TRUE;
    }
  *status = osi_cli_usage_error (message);
  return FALSE;
}

int
osi_cli_cmd_network (const OsiCliGlobals  *globals,
                     int                   argc,
                     char                **argv)
{
  const Command *command = NULL;
  g_autoptr(GError) error = NULL;
  Call call = { NULL };
  int status = OSI_CLI_EXIT_OK;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[0], commands[i].name) == 0)
      command = &commands[i];
  g_return_val_if_fail (command != NULL, OSI_CLI_EXIT_USAGE);

  if (parse_options (command, &call, &argc, &argv, &status) &&
      take_argument (command, argc, argv, &call.arg, &status) &&
      (call.client = osi_cli_open_client (globals, &status)) != NULL)
    {
      call.line.tty = command->transfer && isatty (STDERR_FILENO);
      if (!command->run (&call, &error))
        status = osi_cli_fail (error);
    }

  g_clear_object (&call.client);
  g_clear_object (&call.result);
  g_free (call.directory);
  return status;
}
