/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-cli-private.h"
#include "osi-policy.h"
#include "osi-search.h"

/* The backup policy's commands (docs/api.md §6 and §9): policy, policy
 * set, prune, protect, unprotect, note. */

/* ------------------------------------------------------------------------ */
/* Showing a policy                                                         */

static void
print_schedule (const OsiPolicy *policy)
{
  g_autofree char *at = g_strdup_printf ("%02u:%02u", policy->schedule.hour, policy->schedule.minute);

  switch (policy->schedule.every)
    {
    case OSI_SCHEDULE_DAILY:
      g_print (_("Schedule: every day at %s (%s)\n"), at, policy->time_zone);
      break;
    case OSI_SCHEDULE_WEEKLY:
      /* Translators: "every week on Monday at 02:30 (Europe/Paris)" */
      g_print (_("Schedule: every week on %s at %s (%s)\n"),
               osi_policy_describe_weekday (policy->schedule.weekday), at, policy->time_zone);
      break;
    case OSI_SCHEDULE_MONTHLY:
      g_print (_("Schedule: every month on day %u at %s (%s)\n"), policy->schedule.day, at, policy->time_zone);
      break;
    case OSI_SCHEDULE_OFF:
    default:
      g_print ("%s\n", _("Schedule: off"));
      break;
    }
}

static void
print_runs (JsonObject *answer)
{
  JsonNode *node = json_object_get_member (answer, "last_runs");
  JsonArray *runs = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  if (runs == NULL || json_array_get_length (runs) == 0)
    {
      g_print ("%s\n", _("No scheduled run yet."));
      return;
    }
  g_print ("%s\n", _("Latest runs:"));
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonNode *element = json_array_get_element (runs, i);
      JsonObject *run = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      g_autofree char *at = NULL;
      g_autofree char *detail = NULL;

      if (run == NULL)
        continue;
      at = osi_policy_format_instant (run, "at");
      detail = osi_format_untrusted (json_object_get_string_member_with_default (run, "detail", ""));
      g_print ("  %s  %-12s  %-7s  %s\n", at,
               osi_policy_describe_run_kind (json_object_get_string_member_with_default (run, "kind", NULL)),
               json_object_get_boolean_member_with_default (run, "ok", FALSE) ? C_("run", "ok") : C_("run", "failed"),
               detail);
    }
}

static void
print_policy (JsonObject      *answer,
              const OsiPolicy *policy)
{
  g_autofree char *next_backup = osi_policy_format_instant (answer, "next_backup");
  g_autofree char *next_verify = osi_policy_format_instant (answer, "next_verify");

  print_schedule (policy);
  if (policy->schedule.every != OSI_SCHEDULE_OFF)
    g_print (_("Next backup: %s\n"), next_backup);
  g_print (_("Retention: the %d newest, the newest of %d days, %d weeks and %d months; protected backups are "
             "always kept\n"),
           policy->retention.keep_last, policy->retention.keep_daily,
           policy->retention.keep_weekly, policy->retention.keep_monthly);
  if (policy->verify == OSI_VERIFY_DAILY)
    g_print (_("Regular verification: every day; next: %s\n"), next_verify);
  else if (policy->verify == OSI_VERIFY_WEEKLY)
    g_print (_("Regular verification: every week; next: %s\n"), next_verify);
  else
    g_print ("%s\n", _("Regular verification: off"));
  print_runs (answer);
}

/* The policy in the server's answer; FALSE with a protocol error when the
 * server sent something else. */
static gboolean
read_policy (JsonObject  *answer,
             OsiPolicy   *policy,
             GError     **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, answer);
  if (osi_policy_from_json (policy, node, error))
    return TRUE;
  g_prefix_error (error, "%s ", _("The server sent a policy this program cannot read:"));
  return FALSE;
}

/* The server's answer to "policy", the policy it holds read into policy;
 * NULL with error when it could not be had. */
static JsonObject *
get_policy (OsiClient  *client,
            OsiPolicy  *policy,
            GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) answer = NULL;

  osi_client_get_policy_async (client, NULL, osi_cli_store_result, &result);
  answer = osi_client_get_policy_finish (client, osi_cli_wait (&result), error);
  if (answer == NULL || !read_policy (answer, policy, error))
    return NULL;
  return g_steal_pointer (&answer);
}

/* ------------------------------------------------------------------------ */
/* The options of policy set and prune                                      */

typedef struct
{
  char     *every;
  char     *at;
  int       weekday;
  int       day;
  char     *time_zone;
  int       keep[4];        /* last, daily, weekly, monthly; -1 when not given */
  char     *verify;
  gboolean  dry_run;
  gboolean  json;
} Options;

static const char * const keep_members[] = { "keep_last", "keep_daily", "keep_weekly", "keep_monthly" };

static void
options_clear (Options *options)
{
  g_free (options->every);
  g_free (options->at);
  g_free (options->time_zone);
  g_free (options->verify);
}

static void
set_string (JsonObject *object,
            const char *member,
            const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
}

/* What the options change, as a partial policy for osi_policy_from_json
 * (), which checks each value as the server would. */
static JsonNode *
options_to_json (const Options *options)
{
  JsonObject *root = json_object_new ();
  JsonObject *schedule = json_object_new ();
  JsonObject *retention = json_object_new ();
  JsonObject *verify = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  set_string (schedule, "every", options->every);
  set_string (schedule, "at", options->at);
  /* Out of range values stay, for the reader to refuse by name. */
  if (options->weekday != G_MININT)
    json_object_set_int_member (schedule, "weekday", options->weekday);
  if (options->day != G_MININT)
    json_object_set_int_member (schedule, "day", options->day);
  set_string (schedule, "time_zone", options->time_zone);
  for (guint i = 0; i < G_N_ELEMENTS (keep_members); i++)
    if (options->keep[i] != -1)
      json_object_set_int_member (retention, keep_members[i], options->keep[i]);
  set_string (verify, "every", options->verify);

  json_object_set_object_member (root, "schedule", schedule);
  json_object_set_object_member (root, "retention", retention);
  json_object_set_object_member (root, "verify", verify);
  json_node_take_object (node, root);
  return node;
}

static gboolean
parse_set_options (Options   *options,
                   int       *argc,
                   char    ***argv,
                   int       *status)
{
  const GOptionEntry entries[] = {
    { "every", 0, 0, G_OPTION_ARG_STRING, &options->every,
      N_("When to back up: daily, weekly, monthly or off"), N_("WHEN") },
    { "at", 0, 0, G_OPTION_ARG_STRING, &options->at, N_("At what time, HH:MM"), N_("TIME") },
    { "weekday", 0, 0, G_OPTION_ARG_INT, &options->weekday,
      N_("Weekly: the day, 1 (Monday) to 7 (Sunday)"), "N" },
    { "day", 0, 0, G_OPTION_ARG_INT, &options->day, N_("Monthly: the day of the month, 1 to 28"), "N" },
    { "time-zone", 0, 0, G_OPTION_ARG_STRING, &options->time_zone,
      N_("The schedule’s time zone, such as Europe/Paris"), N_("TZ") },
    { "keep-last", 0, 0, G_OPTION_ARG_INT, &options->keep[0], N_("Keep the N newest backups (3 or more)"), "N" },
    { "keep-daily", 0, 0, G_OPTION_ARG_INT, &options->keep[1],
      N_("Keep the newest backup of each of the last N days"), "N" },
    { "keep-weekly", 0, 0, G_OPTION_ARG_INT, &options->keep[2],
      N_("Keep the newest backup of each of the last N weeks"), "N" },
    { "keep-monthly", 0, 0, G_OPTION_ARG_INT, &options->keep[3],
      N_("Keep the newest backup of each of the last N months"), "N" },
    { "verify", 0, 0, G_OPTION_ARG_STRING, &options->verify,
      N_("How often the server checks that its backups restore: daily, weekly or off"), N_("WHEN") },
    { NULL }
  };

  return osi_cli_parse_options (argc, argv, _("Changes the server’s backup policy; what is not given stays."),
                                NULL, entries, status);
}

/* ------------------------------------------------------------------------ */
/* policy, policy set                                                       */

static int
run_policy (const OsiCliGlobals  *globals,
            int                   argc,
            char                **argv)
{
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the policy as JSON"), NULL },
    { NULL }
  };
  GOptionEntry json_entries[2];
  Options options = { .weekday = G_MININT, .day = G_MININT, .keep = { -1, -1, -1, -1 } };
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean set = argc >= 2 && strcmp (argv[1], "set") == 0;
  OsiPolicy policy;
  int status = OSI_CLI_EXIT_OK;

  memcpy (json_entries, entries, sizeof entries);
  json_entries[0].arg_data = &options.json;
  if (set)
    {
      argc--;
      argv++;
      if (!parse_set_options (&options, &argc, &argv, &status))
        goto out;
    }
  else if (!osi_cli_parse_options (&argc, &argv, _("Shows the server’s backup policy and its latest runs."),
                                   NULL, json_entries, &status))
    goto out;
  if (argc != 1)
    {
      status = osi_cli_usage_error (set ? _("“policy set” takes options only")
                                        : _("“policy” takes no argument but “set”"));
      goto out;
    }
  if ((client = osi_cli_open_client (globals, &status)) == NULL)
    goto out;

  osi_policy_init_default (&policy);
  if ((answer = get_policy (client, &policy, &error)) == NULL)
    {
      status = osi_cli_fail (error);
      goto cleared;
    }

  if (set)
    {
      g_autoptr(JsonNode) change = options_to_json (&options);

      if (!osi_policy_from_json (&policy, change, &error))
        {
          status = osi_cli_usage_error (error->message);
          goto cleared;
        }
      g_clear_pointer (&answer, json_object_unref);
      osi_client_set_policy_async (client, &policy, NULL, osi_cli_store_result, &result);
      answer = osi_client_set_policy_finish (client, osi_cli_wait (&result), &error);
      if (answer == NULL)
        {
          status = osi_cli_fail (error);
          goto cleared;
        }
      /* What the server now says, next runs included. */
      g_clear_pointer (&answer, json_object_unref);
      if ((answer = get_policy (client, &policy, &error)) == NULL)
        {
          status = osi_cli_fail (error);
          goto cleared;
        }
    }

  if (options.json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, answer);
      osi_cli_print_json (node);
    }
  else
    print_policy (answer, &policy);

cleared:
  osi_policy_clear (&policy);
out:
  options_clear (&options);
  return status;
}

/* ------------------------------------------------------------------------ */
/* protect, unprotect, note                                                 */

static int
run_update (const OsiCliGlobals  *globals,
            int                   argc,
            char                **argv)
{
  gboolean note = strcmp (argv[0], "note") == 0;
  gboolean protect = strcmp (argv[0], "protect") == 0;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry none[] = { { NULL } };
  int status = OSI_CLI_EXIT_OK;

  if (!osi_cli_parse_options (&argc, &argv, NULL, NULL, none, &status))
    return status;
  if (argc != (note ? 3 : 2))
    {
      g_autofree char *message = note ? g_strdup (_("“note” takes a backup name and a text (\"\" to remove the note)"))
                                      : g_strdup_printf (_("“%s” takes exactly one backup name"), argv[0]);
      return osi_cli_usage_error (message);
    }
  if (!osi_backup_name_is_valid (argv[1]))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a valid backup name"), argv[1]);
      return osi_cli_usage_error (message);
    }
  if ((client = osi_cli_open_client (globals, &status)) == NULL)
    return status;

  if (note)
    osi_client_set_note_async (client, argv[1], argv[2], NULL, osi_cli_store_result, &result);
  else
    osi_client_set_protected_async (client, argv[1], protect, NULL, osi_cli_store_result, &result);
  info = osi_client_update_backup_finish (client, osi_cli_wait (&result), &error);
  if (info == NULL)
    return osi_cli_fail (error);

  if (note)
    g_print (*argv[2] != '\0' ? _("Note of %s saved.\n") : _("Note of %s removed.\n"), argv[1]);
  else if (protect)
    g_print (_("%s is protected: neither prune nor delete will remove it.\n"), argv[1]);
  else
    g_print (_("%s is no longer protected.\n"), argv[1]);
  return OSI_CLI_EXIT_OK;
}

int
osi_cli_cmd_policy (const OsiCliGlobals  *globals,
                    int                   argc,
                    char                **argv)
{
  if (strcmp (argv[0], "policy") == 0)
    return run_policy (globals, argc, argv);
  return run_update (globals, argc, argv);
}
