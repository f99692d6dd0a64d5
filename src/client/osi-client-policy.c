/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"

/* The calls of the backup policy (docs/api.md §6): each asks first
 * whether the server offers "policy". */

static void
parse_object (GTask    *task,
              JsonNode *root)
{
  JsonObject *object = _osi_client_root_object (task, root);

  if (object != NULL)
    g_task_return_pointer (task, json_object_ref (object), (GDestroyNotify) json_object_unref);
}

static void
policy_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  if (_osi_client_call_check_feature (task, "policy"))
    _osi_client_json_call_with_body (task, call->parse, call->request_method, call->request_path,
                                     call->name != NULL, call->request_json);
}

static void
policy_call (OsiClient           *self,
             Op                   op,
             const char          *name,
             const char          *method,
             const char          *path,
             JsonNode            *body,
             ParseFunc            parse,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data,
             gpointer             source_tag)
{
  g_autoptr(GTask) task = _osi_client_call_task_new (self, op, name, cancellable, callback, user_data, source_tag);
  Call *call = g_task_get_task_data (task);

  call->parse = parse;
  call->request_method = method;
  call->request_path = path;
  call->request_json = body;
  _osi_client_call_with_features (task, policy_start);
}

void
osi_client_get_policy_async (OsiClient           *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  policy_call (self, OP_POLICY, NULL, SOUP_METHOD_GET, "/api/rag/backup/policy", NULL, parse_object,
               cancellable, callback, user_data, osi_client_get_policy_async);
}

JsonObject *
osi_client_get_policy_finish (OsiClient     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_get_policy_async, error);
}

void
osi_client_set_policy_async (OsiClient           *self,
                             const OsiPolicy     *policy,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (policy != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  policy_call (self, OP_POLICY_SET, NULL, SOUP_METHOD_PUT, "/api/rag/backup/policy",
               osi_policy_to_json (policy), parse_object,
               cancellable, callback, user_data, osi_client_set_policy_async);
}

JsonObject *
osi_client_set_policy_finish (OsiClient     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_set_policy_async, error);
}

void
osi_client_prune_async (OsiClient           *self,
                        gboolean             dry_run,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  policy_call (self, OP_PRUNE, NULL, SOUP_METHOD_POST,
               dry_run ? "/api/rag/backup/prune?dry_run=1" : "/api/rag/backup/prune", NULL, parse_object,
               cancellable, callback, user_data, osi_client_prune_async);
}

JsonObject *
osi_client_prune_finish (OsiClient     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_prune_async, error);
}

static void
parse_backup (GTask    *task,
              JsonNode *root)
{
  OsiClient *self = g_task_get_source_object (task);
  JsonObject *object = _osi_client_root_object (task, root);
  GError *error = NULL;
  OsiBackupInfo *info;

  if (object == NULL)
    return;
  info = osi_backup_info_new_from_json (object, self->server_tz, &error);
  if (info == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, error->message));
      g_error_free (error);
      return;
    }
  g_task_return_pointer (task, info, g_object_unref);
}

static void
patch (OsiClient           *self,
       const char          *name,
       const char          *member,
       JsonNode            *value,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *body = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (object, member, value);
  json_node_set_object (body, object);
  policy_call (self, OP_PATCH, name, "PATCH", "/api/rag/backup", body, parse_backup,
               cancellable, callback, user_data, osi_client_set_note_async);
}

void
osi_client_set_protected_async (OsiClient           *self,
                                const char          *name,
                                gboolean             is_protected,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  JsonNode *value = json_node_new (JSON_NODE_VALUE);

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  json_node_set_boolean (value, is_protected);
  patch (self, name, "protected", value, cancellable, callback, user_data);
}

void
osi_client_set_note_async (OsiClient           *self,
                           const char          *name,
                           const char          *note,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  JsonNode *value = json_node_new (JSON_NODE_VALUE);

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  json_node_set_string (value, note != NULL ? note : "");
  patch (self, name, "note", value, cancellable, callback, user_data);
}

OsiBackupInfo *
osi_client_update_backup_finish (OsiClient     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_set_note_async, error);
}
