/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-json.h"
#include "osi-server-private.h"

/* The backup policy (docs/api.md §6.3, §6.4): stored in the catalog,
 * read at start, served and replaced by GET and PUT
 * /api/rag/backup/policy. */

#define LAST_RUNS 20

static char *
format_utc (gint64 unix_time)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (unix_time);

  return date != NULL ? g_date_time_format (date, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

static void
set_time_or_null (JsonObject *object,
                  const char *member,
                  GDateTime  *date)
{
  if (date != NULL)
    {
      g_autofree char *text = format_utc (g_date_time_to_unix (date));

      json_object_set_string_member (object, member, text);
    }
  else
    json_object_set_null_member (object, member);
}

/* ------------------------------------------------------------------------ */
/* Reading and storing                                                      */

/* The stored policy over the defaults; the defaults alone when none was
 * stored, or when what was stored can no longer be read (a time zone this
 * machine does not know any more): the server then says so and makes no
 * scheduled backup until a policy is stored again. */
void
_osi_server_load_policy (OsiServer *self)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  OsiPolicy policy;

  osi_policy_clear (&self->policy);
  osi_policy_init_default (&self->policy);
  if (!osi_catalog_get_policy (self->catalog, &text, &error))
    {
      g_message ("Cannot read the backup policy from the catalog, the defaults apply: %s", error->message);
      return;
    }
  if (text == NULL)
    return;
  osi_policy_copy (&policy, &self->policy);
  root = osi_json_parse (text, strlen (text), &error);
  if (root == NULL || !osi_policy_from_json (&policy, root, &error))
    {
      g_message ("The stored backup policy cannot be read, the defaults apply until one is stored again: %s",
                 error->message);
      osi_policy_clear (&policy);
      return;
    }
  osi_policy_clear (&self->policy);
  self->policy = policy;
}

/* ------------------------------------------------------------------------ */
/* GET and PUT /api/rag/backup/policy                                       */

static JsonNode *
run_to_json (const OsiCatalogRun *run)
{
  JsonObject *object = json_object_new ();
  g_autofree char *at = format_utc (run->at);

  json_object_set_string_member (object, "kind", osi_catalog_run_kind_to_string (run->kind));
  json_object_set_string_member (object, "at", at);
  json_object_set_boolean_member (object, "ok", run->ok);
  json_object_set_string_member (object, "detail", run->detail);
  return json_node_init_object (json_node_alloc (), object);
}

static void
handle_get (OsiServer         *self,
            SoupServerMessage *msg)
{
  g_autoptr(JsonNode) node = osi_policy_to_json (&self->policy);
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GDateTime) next_backup = NULL;
  g_autoptr(GDateTime) next_verify = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object = json_node_get_object (node);
  JsonArray *array;

  runs = osi_catalog_list_runs (self->catalog, LAST_RUNS, &error);
  if (runs == NULL)
    {
      _osi_server_respond_task_error (msg, error);
      return;
    }
  next_backup = osi_scheduler_get_next_backup (self->scheduler);
  next_verify = osi_scheduler_get_next_verify (self->scheduler);
  set_time_or_null (object, "next_backup", next_backup);
  set_time_or_null (object, "next_verify", next_verify);
  array = json_array_sized_new (runs->len);
  for (guint i = 0; i < runs->len; i++)
    json_array_add_element (array, run_to_json (g_ptr_array_index (runs, i)));
  json_object_set_array_member (object, "last_runs", array);
  _osi_server_respond_json (msg, SOUP_STATUS_OK, object);
}

/* The body read over the stored policy: a member left out keeps its
 * value, members other than the policy's (such as those a GET adds) are
 * ignored. Stored, then applied: the schedule moves at once. */
static void
handle_put (OsiServer         *self,
            SoupServerMessage *msg)
{
  g_autoptr(JsonNode) root = _osi_server_request_json (msg);
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  OsiPolicy policy;

  osi_policy_copy (&policy, &self->policy);
  if (!osi_policy_from_json (&policy, root, &error))
    {
      osi_policy_clear (&policy);
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }
  stored = osi_policy_to_json (&policy);
  text = json_to_string (stored, FALSE);
  if (!osi_catalog_set_policy (self->catalog, text, &error))
    {
      osi_policy_clear (&policy);
      g_message ("Cannot store the backup policy: %s", error->message);
      _osi_server_respond_task_error (msg, error);
      return;
    }
  osi_policy_clear (&self->policy);
  self->policy = policy;
  g_message ("Backup policy stored: %s", text);
  osi_scheduler_reschedule (self->scheduler);
  _osi_server_respond_json (msg, SOUP_STATUS_OK, json_node_get_object (stored));
}

void
_osi_server_handle_policy (OsiServer         *self,
                           SoupServerMessage *msg)
{
  if (g_strcmp0 (soup_server_message_get_method (msg), "PUT") == 0)
    handle_put (self, msg);
  else
    handle_get (self, msg);
}

/* ------------------------------------------------------------------------ */
/* Prune                                                                    */

/* The plan of the policy's retention over the backups (items), as the
 * answer of a prune writes it (osi_retention_plan_to_json). */
static JsonObject *
plan (OsiServer *self,
      GArray    *items,
      gboolean   dry_run)
{
  g_autoptr(GTimeZone) tz = osi_policy_get_time_zone (&self->policy);
  g_autofree OsiRetentionBackup *backups = g_new0 (OsiRetentionBackup, MAX (items->len, 1));
  g_autofree OsiRetentionReasons *reasons = g_new0 (OsiRetentionReasons, MAX (items->len, 1));
  g_autofree guint *order = g_new0 (guint, MAX (items->len, 1));
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < items->len; i++)
    {
      const OsiBackupFolderItem *item = &g_array_index (items, OsiBackupFolderItem, i);
      g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (item->mtime_ns / G_GINT64_CONSTANT (1000000000));

      backups[i].name = item->name;
      backups[i].date = seconds != NULL ? g_date_time_add (seconds, (item->mtime_ns % G_GINT64_CONSTANT (1000000000)) / 1000)
                                        : NULL;
      backups[i].is_protected = item->is_protected;
    }
  osi_retention_plan (backups, items->len, &self->policy.retention, tz, reasons, order);
  node = osi_retention_plan_to_json (backups, items->len, reasons, order, dry_run);
  for (guint i = 0; i < items->len; i++)
    g_clear_pointer (&backups[i].date, g_date_time_unref);
  return json_object_ref (json_node_get_object (node));
}

/* Deletes what the plan removes, but what is protected or being restored
 * (the plan keeps the one, a prune waits for the other: both checked
 * again here); failures are logged, written into their remove entry and
 * counted, and the rest goes on. */
static guint
apply (OsiServer *self,
       GPtrArray *names,
       JsonArray *remove,
       GString   *failed)
{
  g_autofree int *errors = g_new0 (int, MAX (names->len, 1));
  g_autoptr(GPtrArray) deletable = g_ptr_array_new ();
  guint n_failed = 0;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (!osi_backup_folder_is_protected (self->folder, name) &&
          !(self->op == OP_RESTORE && g_strcmp0 (self->op_name, name) == 0))
        g_ptr_array_add (deletable, (gpointer)name);
    }
  osi_backup_folder_delete_many (self->folder, (const char * const *)deletable->pdata, deletable->len, errors);
  for (guint i = 0, j = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      JsonObject *entry = json_array_get_object_element (remove, i);
      const char *reason;

      if (j < deletable->len && g_ptr_array_index (deletable, j) == name)
        {
          int error = errors[j++];

          if (error == 0)
            {
              if (self->offsite != NULL)
                osi_offsite_backup_deleted (self->offsite, name);
              continue;
            }
          reason = g_strerror (error);
        }
      else
        reason = _("it is protected or being restored");
      n_failed++;
      g_message ("Prune: cannot delete %s: %s", name, reason);
      json_object_set_string_member (entry, "error", reason);
      g_string_append_printf (failed, "%s%s (%s)", failed->len > 0 ? ", " : "", name, reason);
    }
  return n_failed;
}

/* The prune's run, in the log and in the catalog's runs; failures also in
 * the answer's detail. */
static void
record_prune (OsiServer  *self,
              JsonObject *answer,
              guint       n_removed,
              guint       n_kept,
              guint       n_failed,
              const char *failed)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);
  g_autoptr(GError) error = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *detail = NULL;

  counts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Removed %u backup, kept %u.",
                                         "Removed %u backups, kept %u.", n_removed),
                            n_removed, n_kept);
  if (n_failed > 0)
    {
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u backup could not be deleted: %s.",
                                              "%u backups could not be deleted: %s.", n_failed),
                                 n_failed, failed);
      json_object_set_string_member (answer, "detail", summary);
    }
  detail = summary != NULL ? g_strconcat (counts, " ", summary, NULL) : g_strdup (counts);
  g_message ("Prune: %s", detail);
  if (!osi_catalog_add_run (self->catalog, OSI_CATALOG_RUN_PRUNE, g_date_time_to_unix (now), n_failed == 0,
                            detail, &error))
    g_message ("Cannot record the prune in the backup catalog: %s", error->message);
}

/* Plans the policy's retention over the backups and, unless dry_run,
 * applies it and records the run. Returns the answer of POST
 * /api/rag/backup/prune (docs/api.md §6.5). */
JsonObject *
_osi_server_prune (OsiServer *self,
                   gboolean   dry_run)
{
  g_autoptr(GArray) items = osi_backup_folder_list_items (self->folder);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GString) failed = g_string_new (NULL);
  JsonObject *answer = plan (self, items, dry_run);
  JsonArray *remove = json_object_get_array_member (answer, "remove");
  guint n_failed = 0;

  for (guint i = 0; i < json_array_get_length (remove); i++)
    g_ptr_array_add (names, (gpointer)json_object_get_string_member (json_array_get_object_element (remove, i),
                                                                      "name"));
  if (!dry_run)
    n_failed = apply (self, names, remove, failed);
  if (!dry_run)
    record_prune (self, answer, names->len - n_failed, items->len - names->len, n_failed, failed->str);
  return answer;
}

typedef struct
{
  OsiServer         *server;
  SoupServerMessage *msg;
  JsonObject        *answer;
} OffsitePrune;

/* The copies the off-site retention removed are gone (or marked with
 * their error in the answer's "offsite"): the prune is answered. */
static void
offsite_pruned (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  OffsitePrune *prune = user_data;
  JsonObject *plan = json_object_get_object_member (prune->answer, "offsite");

  osi_offsite_apply_finish (OSI_OFFSITE (source), result, NULL);
  /* the offsite failures' summary belongs to the answer's detail */
  if (json_object_has_member (plan, "detail"))
    {
      const char *offsite_detail = json_object_get_string_member (plan, "detail");
      const char *detail = json_object_get_string_member_with_default (prune->answer, "detail", NULL);
      g_autofree char *both = detail != NULL ? g_strconcat (detail, " ", offsite_detail, NULL)
                                             : g_strdup (offsite_detail);

      json_object_set_string_member (prune->answer, "detail", both);
      json_object_remove_member (plan, "detail");
    }
  _osi_server_respond_json (prune->msg, SOUP_STATUS_OK, prune->answer);
  _osi_server_resume (prune->msg);
  _osi_server_pending_end (prune->server);
  g_object_unref (prune->msg);
  json_object_unref (prune->answer);
  g_object_unref (prune->server);
  g_free (prune);
}

/* POST /api/rag/backup/prune[?dry_run=1]. A prune never runs during a
 * restore (the restore's safety backup and the backup restored are in
 * play until its --on-restore command ends): 409 then; alongside a
 * create it is harmless (the backup being made is not in the folder yet,
 * or is and counts as the newest). A plan (dry run) is always answered. */
void
_osi_server_handle_prune (OsiServer         *self,
                          SoupServerMessage *msg)
{
  g_autoptr(JsonObject) answer = NULL;
  gboolean dry_run;

  /* dry_run=1 (or true, yes, or the bare name) for a plan only; 0,
   * false or no, or no parameter, to apply it. */
  if (!_osi_server_query_flag (msg, "dry_run", &dry_run))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                                 _("“dry_run” takes 1 (only show the plan) or 0 (apply it)."));
      return;
    }
  if (!dry_run && self->op == OP_RESTORE)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT, "%s",
                                 _("A restore is running: prune when it has finished."));
      return;
    }
  answer = _osi_server_prune (self, dry_run);
  if (self->offsite != NULL)
    {
      g_autoptr(JsonObject) plan = osi_offsite_plan (self->offsite, dry_run);
      JsonArray *remove = plan != NULL ? json_object_get_array_member (plan, "remove") : NULL;

      if (plan != NULL)
        json_object_set_object_member (answer, "offsite", json_object_ref (plan));
      if (!dry_run && remove != NULL && json_array_get_length (remove) > 0)
        {
          /* The copies are deleted from the storage before the answer,
           * which says which could not be. */
          OffsitePrune *prune = g_new0 (OffsitePrune, 1);

          prune->server = g_object_ref (self);
          prune->msg = g_object_ref (msg);
          prune->answer = g_steal_pointer (&answer);
          soup_server_message_pause (msg);
          _osi_server_pending_begin (self);
          osi_offsite_apply_async (self->offsite, plan, offsite_pruned, prune);
          return;
        }
    }
  _osi_server_respond_json (msg, SOUP_STATUS_OK, answer);
}
