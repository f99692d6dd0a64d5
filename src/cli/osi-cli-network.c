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

static int
fail (const GError *error)
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

static OsiClient *
open_client (const OsiCliGlobals *globals,
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

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the main context until the call started just before has ended. */
static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Only names that a server could hold: anything else is a usage error,
 * said before any network traffic. */
static gboolean
take_one_name (int          argc,
               char       **argv,
               const char  *what,
               const char **out,
               int         *status)
{
  if (argc != 2)
    {
      g_autofree char *message = g_strdup_printf (_("“%s” takes exactly one backup name"), what);
      *status = osi_cli_usage_error (message);
      return FALSE;
    }
  if (!osi_backup_name_is_valid (argv[1]))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a valid backup name"), argv[1]);
      *status = osi_cli_usage_error (message);
      return FALSE;
    }
  *out = argv[1];
  return TRUE;
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

static void
end_progress (const ProgressLine *line)
{
  if (line->tty)
    g_printerr ("\n");
}

int
osi_cli_cmd_list (const OsiCliGlobals  *globals,
                  int                   argc,
                  char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  int status = OSI_CLI_EXIT_OK;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the list as JSON"), NULL },
    { NULL }
  };

  if (!osi_cli_parse_options (&argc, &argv, _("Lists the server’s backups, newest first."), NULL, entries, &status))
    return status;
  if (argc != 1)
    return osi_cli_usage_error (_("“list” takes no argument"));

  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_list_async (client, NULL, store_result, &result);
  backups = osi_client_list_finish (client, wait_for (&result), &error);
  if (backups == NULL)
    return fail (error);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "backups");
      json_builder_begin_array (builder);
      for (guint i = 0; i < backups->len; i++)
        json_builder_add_value (builder, osi_backup_info_to_json (g_ptr_array_index (backups, i)));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      osi_cli_print_json (root);
      return OSI_CLI_EXIT_OK;
    }

  if (backups->len == 0)
    {
      g_print ("%s\n", _("No backup on this server."));
      return OSI_CLI_EXIT_OK;
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
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_create (const OsiCliGlobals  *globals,
                    int                   argc,
                    char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  int status = OSI_CLI_EXIT_OK;

  if (argc != 1)
    return osi_cli_usage_error (_("“create” takes no argument"));
  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_create_async (client, NULL, store_result, &result);
  if (!osi_client_create_finish (client, wait_for (&result), &info, &message, &error))
    return fail (error);

  if (info != NULL)
    g_print (_("Backup created: %s\n"), osi_backup_info_get_name (info));
  else
    g_print ("%s\n", _("Backup created. The server did not say under which name: list the backups to see it."));
  if (message != NULL)
    g_print (_("Server: %s\n"), message);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_restore (const OsiCliGlobals  *globals,
                     int                   argc,
                     char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *message = NULL;
  const char *name;
  int status = OSI_CLI_EXIT_OK;

  if (!take_one_name (argc, argv, "restore", &name, &status))
    return status;
  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_restore_async (client, name, NULL, store_result, &result);
  if (!osi_client_restore_finish (client, wait_for (&result), &safety, &message, &error))
    return fail (error);

  if (safety != NULL)
    g_print (_("Restored %s. The data it replaced is kept in the safety backup %s.\n"), name, safety);
  else
    g_print (_("Restored %s. The server did not name a safety backup of the data it replaced.\n"), name);
  if (message != NULL)
    g_print (_("Server: %s\n"), message);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_delete (const OsiCliGlobals  *globals,
                    int                   argc,
                    char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  int status = OSI_CLI_EXIT_OK;

  if (!take_one_name (argc, argv, "delete", &name, &status))
    return status;
  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_delete_async (client, name, NULL, store_result, &result);
  if (!osi_client_delete_finish (client, wait_for (&result), &error))
    return fail (error);

  g_print (_("Deleted %s.\n"), name);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_download (const OsiCliGlobals  *globals,
                      int                   argc,
                      char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *path = NULL;
  const char *name;
  ProgressLine line = { isatty (STDERR_FILENO), 0 };
  int status = OSI_CLI_EXIT_OK;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &directory, N_("Folder to download into (default: the current one)"), N_("DIR") },
    { NULL }
  };

  if (!osi_cli_parse_options (&argc, &argv, _("Downloads a backup; an interrupted download resumes where it stopped."),
                              NULL, entries, &status))
    return status;
  if (!take_one_name (argc, argv, "download", &name, &status))
    return status;
  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_download_async (client, name, directory != NULL ? directory : ".",
                             on_transfer_progress, &line, NULL, store_result, &result);
  path = osi_client_download_finish (client, wait_for (&result), NULL, &error);
  end_progress (&line);
  if (path == NULL)
    return fail (error);

  g_print (_("Downloaded to %s\n"), path);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_upload (const OsiCliGlobals  *globals,
                    int                   argc,
                    char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  ProgressLine line = { isatty (STDERR_FILENO), 0 };
  int status = OSI_CLI_EXIT_OK;

  if (argc != 2)
    return osi_cli_usage_error (_("“upload” takes exactly one file"));
  if (!g_file_test (argv[1], G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a file"), argv[1]);
      return osi_cli_usage_error (message);
    }
  if ((client = open_client (globals, &status)) == NULL)
    return status;

  osi_client_upload_async (client, argv[1], on_transfer_progress, &line, NULL, store_result, &result);
  info = osi_client_upload_finish (client, wait_for (&result), &error);
  end_progress (&line);
  if (info == NULL)
    return fail (error);

  g_print (_("Uploaded as %s\n"), osi_backup_info_get_name (info));
  return OSI_CLI_EXIT_OK;
}
