/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-cli-private.h"
#include "osi-search.h"

/* The off-site copies' commands (docs/api.md §7 and §9): offsite list
 * [--json] [--refresh], offsite fetch NAME. */

/* text, then spaces up to width characters (not bytes: the French words
 * have accents). */
static void
print_padded (const char *text,
              guint       width)
{
  glong length = g_utf8_strlen (text, -1);

  g_print ("%s", text);
  for (glong i = length; i < (glong)width; i++)
    g_print (" ");
}

/* The state of a copy in words. */
static char *
describe_state (OsiBackupInfo *info)
{
  const char *state = osi_backup_info_get_offsite_state (info);
  GDateTime *at = osi_backup_info_get_offsite_at (info);
  gint64 copied = osi_backup_info_get_offsite_copied (info);
  gint64 size = osi_backup_info_get_size (info);

  if (g_strcmp0 (state, "done") == 0)
    {
      g_autofree char *date = NULL;

      if (at == NULL)
        /* Translators: an off-site copy's state, in the table of offsite list */
        return g_strdup (_("copied"));
      date = osi_format_date (at);
      /* Translators: an off-site copy's state; %s is a date, “05/12/2026 15:16” */
      return g_strdup_printf (_("copied %s"), date);
    }
  if (g_strcmp0 (state, "pending") == 0)
    /* Translators: an off-site copy's state, in the table of offsite list */
    return g_strdup (_("queued"));
  if (g_strcmp0 (state, "copying") == 0)
    {
      if (copied >= 0 && size > 0)
        /* Translators: an off-site copy's state, “copying 45 %” */
        return g_strdup_printf (_("copying %u %%"), (guint)(MIN (copied, size) * 100 / size));
      /* Translators: an off-site copy's state, in the table of offsite list */
      return g_strdup (_("copying"));
    }
  if (g_strcmp0 (state, "failed") == 0)
    /* Translators: an off-site copy's state, in the table of offsite list */
    return g_strdup (_("failed"));
  /* Translators: an off-site copy's state, in the table of offsite list */
  return g_strdup (_("unknown"));
}

static const char *
describe_place (OsiBackupInfo *info)
{
  /* Translators: whether the backup of an off-site copy is still on the
   * server, in the table of offsite list */
  return osi_backup_info_get_local (info) ? _("local") : _("off-site only");
}

static void
print_copies (GPtrArray *copies)
{
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  glong state_width = 0;
  glong place_width = 0;

  if (copies->len == 0)
    {
      g_print ("%s\n", _("No off-site copy on this server yet."));
      return;
    }

  /* The columns as wide as their longest words, in any language. */
  for (guint i = 0; i < copies->len; i++)
    {
      char *state = describe_state (copies->pdata[i]);

      g_ptr_array_add (states, state);
      state_width = MAX (state_width, g_utf8_strlen (state, -1));
      place_width = MAX (place_width, g_utf8_strlen (describe_place (copies->pdata[i]), -1));
    }

  for (guint i = 0; i < copies->len; i++)
    {
      OsiBackupInfo *info = g_ptr_array_index (copies, i);
      gint64 size = osi_backup_info_get_size (info);
      g_autofree char *size_s = size >= 0 ? g_format_size ((guint64)size) : g_strdup ("?");
      g_autofree char *name = osi_format_untrusted (osi_backup_info_get_name (info));
      const char *detail = osi_backup_info_get_offsite_detail (info);

      /* As list: this computer's time, JJ/MM/AAAA HH:MM, then the size. */
      g_print ("%-16s  %10s  ", osi_backup_info_get_display_date (info), size_s);
      print_padded (states->pdata[i], (guint)state_width);
      g_print ("  ");
      print_padded (describe_place (info), (guint)place_width);
      g_print ("  %s\n", name);
      /* Why it waits, or what went wrong and what to do. */
      if (detail != NULL)
        {
          g_autofree char *shown = osi_format_untrusted (detail);

          g_print ("    %s\n", shown);
        }
    }
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u off-site copy\n", "%u off-site copies\n", copies->len), copies->len);
}

static int
cmd_list (OsiClient  *client,
          gboolean    json,
          gboolean    refresh)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GBytes) body = NULL;

  osi_client_list_offsite_async (client, refresh, NULL, osi_cli_store_result, &result);
  copies = osi_client_list_offsite_finish (client, osi_cli_wait (&result), json ? &body : NULL, &error);
  if (copies == NULL)
    return osi_cli_fail (error);
  if (json)
    {
      gsize length;
      const char *data = g_bytes_get_data (body, &length);

      /* The server's answer as it came (docs/api.md §9). */
      fwrite (data, 1, length, stdout);
      if (length == 0 || data[length - 1] != '\n')
        fputc ('\n', stdout);
      fflush (stdout);
      return OSI_CLI_EXIT_OK;
    }
  print_copies (copies);
  return OSI_CLI_EXIT_OK;
}

static int
cmd_fetch (OsiClient  *client,
           const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *size_s = NULL;

  osi_client_fetch_offsite_async (client, name, NULL, osi_cli_store_result, &result);
  info = osi_client_fetch_offsite_finish (client, osi_cli_wait (&result), NULL, &error);
  if (info == NULL)
    return osi_cli_fail (error);
  size_s = osi_backup_info_get_size (info) >= 0 ? g_format_size ((guint64)osi_backup_info_get_size (info))
                                                 : g_strdup ("?");
  g_print (_("Fetched %s from off-site storage (%s). Restore it with: osi-backup-cli restore %s\n"),
           name, size_s, name);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_offsite (const OsiCliGlobals  *globals,
                     int                   argc,
                     char                **argv)
{
  g_autoptr(OsiClient) client = NULL;
  g_auto(GStrv) rest = NULL;
  gboolean json = FALSE;
  gboolean refresh = FALSE;
  gboolean list;
  int status = OSI_CLI_EXIT_OK;
  const GOptionEntry list_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the server’s answer as JSON, as it came"), NULL },
    { "refresh", 0, 0, G_OPTION_ARG_NONE, &refresh,
      N_("Have the server read the off-site storage first, to find copies it does not know of"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const GOptionEntry fetch_entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, N_("NAME") },
    { NULL }
  };

  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      g_print ("%s\n", _("Usage: osi-backup-cli offsite list [--json] [--refresh]\n"
                         "       osi-backup-cli offsite fetch NAME\n"
                         "Each command’s --help says more."));
      return OSI_CLI_EXIT_OK;
    }
  if (argc < 2 || (strcmp (argv[1], "list") != 0 && strcmp (argv[1], "fetch") != 0))
    return osi_cli_usage_error (_("“offsite” takes “list” or “fetch NAME”"));
  list = strcmp (argv[1], "list") == 0;
  argc--;
  argv++;
  if (list)
    {
      if (!osi_cli_parse_options (&argc, &argv,
                                  _("Lists the server’s off-site copies, newest first: their state, and whether "
                                    "the backup is still on the server."),
                                  NULL, list_entries, &status))
        return status;
      if (rest != NULL)
        return osi_cli_usage_error (_("“offsite list” takes no argument"));
    }
  else
    {
      if (!osi_cli_parse_options (&argc, &argv,
                                  _("Brings a backup back from off-site storage into the server’s backup folder, "
                                    "checked, so that it can be restored."),
                                  NULL, fetch_entries, &status))
        return status;
      if (rest == NULL || g_strv_length (rest) != 1)
        return osi_cli_usage_error (_("“offsite fetch” takes exactly one backup name"));
      if (!osi_backup_name_is_valid (rest[0]))
        {
          g_autofree char *message = g_strdup_printf (_("“%s” is not a valid backup name"), rest[0]);

          return osi_cli_usage_error (message);
        }
    }

  client = osi_cli_open_client (globals, &status);
  if (client == NULL)
    return status;
  return list ? cmd_list (client, json, refresh) : cmd_fetch (client, rest[0]);
}
