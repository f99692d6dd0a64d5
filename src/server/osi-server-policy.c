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

/* When the next scheduled backup and verification fall (NULL: none). */
void
_osi_server_next_runs (OsiServer  *self,
                       GDateTime **next_backup,
                       GDateTime **next_verify)
{
  g_autoptr(GTimeZone) tz = osi_policy_get_time_zone (&self->policy);
  g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);

  *next_backup = osi_schedule_next (&self->policy.schedule, tz, now);
  *next_verify = NULL;
}

/* The policy just changed: what follows from it changes at once. */
void
_osi_server_policy_changed (OsiServer *self)
{
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
  _osi_server_next_runs (self, &next_backup, &next_verify);
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
  Request *req = _osi_server_request_get (msg);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  OsiPolicy policy;

  if (req->body != NULL && req->body->len > 0)
    root = osi_json_parse ((const char *)req->body->data, req->body->len, NULL);
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
  _osi_server_policy_changed (self);
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
