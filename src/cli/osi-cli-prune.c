/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-cli-private.h"
#include "osi-retention.h"
#include "osi-search.h"

/* prune (docs/api.md §6 and §9): the server's own prune where it offers
 * "policy" and no count is given; otherwise the plan is made here from
 * the list, with the counts given over §6's defaults, and carried out
 * through DELETE, so that cron can keep any server tidy, the deployed OSI
 * backend included. Either way the plan never goes below three backups
 * and never removes a protected one. */

static void
print_keeps (JsonObject *plan)
{
  JsonArray *keep = osi_retention_plan_get_list (plan, "keep");

  for (guint i = 0; keep != NULL && i < json_array_get_length (keep); i++)
    {
      JsonNode *node = json_array_get_element (keep, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonArray *reasons = object != NULL ? osi_retention_plan_get_list (object, "reasons") : NULL;
      g_autoptr(GString) why = g_string_new (NULL);
      g_autofree char *name = osi_format_untrusted (osi_retention_plan_get_name (keep, i));

      for (guint r = 0; reasons != NULL && r < json_array_get_length (reasons); r++)
        {
          JsonNode *reason = json_array_get_element (reasons, r);
          const char *shown = osi_retention_describe_reason (JSON_NODE_HOLDS_VALUE (reason)
                                                             ? json_node_get_string (reason) : NULL);

          if (why->len > 0)
            g_string_append (why, ", ");
          g_string_append (why, shown != NULL ? shown : "?");
        }
      g_print (_("Keeps %s (%s)\n"), name, why->str);
    }
}

static void
print_removed (const char *name,
               gboolean    done)
{
  g_autofree char *shown = osi_format_untrusted (name);

  g_print (done ? _("Removed %s\n") : _("Would remove %s\n"), shown);
}

/* The plan made here from the list, days counted in the server's time
 * zone. */
static JsonObject *
plan_here (OsiClient                *client,
           const OsiRetentionPolicy *policy,
           gboolean                  dry_run,
           GError                  **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(JsonNode) node = NULL;

  osi_client_list_async (client, NULL, osi_cli_store_result, &result);
  backups = osi_client_list_finish (client, osi_cli_wait (&result), error);
  if (backups == NULL)
    return NULL;
  node = osi_retention_plan_infos ((OsiBackupInfo * const *)backups->pdata, backups->len, policy,
                                   osi_client_get_server_tz (client), dry_run);
  return json_object_ref (json_node_get_object (node));
}

/* Deletes what the plan removes, one after the other, saying so unless
 * quiet; the names that could not be deleted go to failed, with why. */
static void
delete_planned (OsiClient  *client,
                JsonObject *plan,
                gboolean    quiet,
                JsonArray  *failed)
{
  JsonArray *remove = osi_retention_plan_get_list (plan, "remove");

  for (guint i = 0; remove != NULL && i < json_array_get_length (remove); i++)
    {
      const char *name = osi_retention_plan_get_name (remove, i);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      if (name == NULL)
        continue;
      osi_client_delete_async (client, name, NULL, osi_cli_store_result, &result);
      if (osi_client_delete_finish (client, osi_cli_wait (&result), &error))
        {
          if (!quiet)
            print_removed (name, TRUE);
          continue;
        }
      g_printerr ("osi-backup-cli: %s\n", error->message);
      {
        JsonObject *entry = json_object_new ();

        json_object_set_string_member (entry, "name", name);
        json_object_set_string_member (entry, "detail", error->message);
        json_array_add_object_element (failed, entry);
      }
    }
}

int
osi_cli_cmd_prune (const OsiCliGlobals  *globals,
                   int                   argc,
                   char                **argv)
{
  OsiRetentionPolicy policy = OSI_RETENTION_POLICY_DEFAULT;
  int counts[4] = { -1, -1, -1, -1 };
  gboolean dry_run = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_("Show what would be removed, remove nothing"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the plan as JSON"), NULL },
    { "keep-last", 0, 0, G_OPTION_ARG_INT, &counts[0], N_("Keep the N newest backups (3 or more)"), "N" },
    { "keep-daily", 0, 0, G_OPTION_ARG_INT, &counts[1],
      N_("Keep the newest backup of each of the last N days"), "N" },
    { "keep-weekly", 0, 0, G_OPTION_ARG_INT, &counts[2],
      N_("Keep the newest backup of each of the last N weeks"), "N" },
    { "keep-monthly", 0, 0, G_OPTION_ARG_INT, &counts[3],
      N_("Keep the newest backup of each of the last N months"), "N" },
    { NULL }
  };
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) failed = json_array_new ();
  JsonArray *keep, *remove;
  guint n_keep, n_remove;
  gboolean given = FALSE, here;
  int status = OSI_CLI_EXIT_OK;

  if (!osi_cli_parse_options (&argc, &argv,
                              _("Deletes the backups the retention policy does not keep. With a count, or on a "
                                "server without a policy, the plan is made here from the list (defaults: "
                                "--keep-last 3, others 0)."),
                              NULL, entries, &status))
    return status;
  if (argc != 1)
    return osi_cli_usage_error (_("“prune” takes no argument"));

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    if (counts[i] != -1)
      given = TRUE;
  policy.keep_last = counts[0] != -1 ? counts[0] : policy.keep_last;
  policy.keep_daily = counts[1] != -1 ? counts[1] : policy.keep_daily;
  policy.keep_weekly = counts[2] != -1 ? counts[2] : policy.keep_weekly;
  policy.keep_monthly = counts[3] != -1 ? counts[3] : policy.keep_monthly;
  if (!osi_retention_policy_validate (&policy, &error))
    return osi_cli_usage_error (error->message);

  if ((client = osi_cli_open_client (globals, &status)) == NULL)
    return status;

  /* Whether the server has a policy of its own to prune with. */
  osi_client_health_async (client, NULL, osi_cli_store_result, &result);
  {
    g_autoptr(JsonObject) health = osi_client_health_finish (client, osi_cli_wait (&result), &error);

    if (health == NULL)
      return osi_cli_fail (error);
  }
  g_clear_object (&result);

  here = given || !osi_client_has_feature (client, "policy");
  if (!here)
    {
      osi_client_prune_async (client, dry_run, NULL, osi_cli_store_result, &result);
      plan = osi_client_prune_finish (client, osi_cli_wait (&result), &error);
    }
  else
    {
      plan = plan_here (client, &policy, dry_run, &error);
    }
  if (plan == NULL)
    return osi_cli_fail (error);

  remove = osi_retention_plan_get_list (plan, "remove");
  n_remove = remove != NULL ? json_array_get_length (remove) : 0;
  keep = osi_retention_plan_get_list (plan, "keep");
  n_keep = keep != NULL ? json_array_get_length (keep) : 0;
  if (!json)
    print_keeps (plan);
  if (here && !dry_run)
    delete_planned (client, plan, json, failed);
  else if (!json)
    for (guint i = 0; i < n_remove; i++)
      print_removed (osi_retention_plan_get_name (remove, i), !dry_run);

  if (json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      if (json_array_get_length (failed) > 0)
        json_object_set_array_member (plan, "failed", json_array_ref (failed));
      json_node_set_object (node, plan);
      osi_cli_print_json (node);
    }
  else if (dry_run)
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u backup kept, %u to remove.\n",
                          "%u backups kept, %u to remove.\n", n_keep),
             n_keep, n_remove);
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u backup kept, %u removed.\n",
                          "%u backups kept, %u removed.\n", n_keep),
             n_keep, n_remove - json_array_get_length (failed));
  return json_array_get_length (failed) > 0 ? OSI_CLI_EXIT_SERVER : OSI_CLI_EXIT_OK;
}
