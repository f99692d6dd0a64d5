/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include "osi-server-private.h"

/* ------------------------------------------------------------------------ */
/* GET /api/health and the list                                             */

void
_osi_server_handle_health (OsiServer         *self,
                           SoupServerMessage *msg)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "status", "ok");
  json_object_set_string_member (object, "version", VERSION);
  /* What this server offers beyond the four base actions (docs/api.md
   * §5.2 "Capabilities", members in §3.1 "Health"; "policy": §6 "Backup
   * policy"). */
  {
    static const char * const features[] = { "verify", "diff", "upload", "range", "digest", "policy" };
    JsonArray *array = json_array_sized_new (G_N_ELEMENTS (features) + 1);

    for (guint i = 0; i < G_N_ELEMENTS (features); i++)
      json_array_add_string_element (array, features[i]);
    /* §7 "Off-site copies": only when configured. */
    if (self->offsite != NULL)
      json_array_add_string_element (array, "offsite");
    json_object_set_array_member (object, "features", array);
  }
  /* The details only for those who may see the backups. */
  if (_osi_server_is_authorized (self, msg))
    {
      json_object_set_int_member (object, "free_bytes", (gint64)MIN (_osi_server_free_bytes (osi_backup_folder_get_path (self->folder)), G_MAXINT64));
      json_object_set_int_member (object, "backup_count", osi_backup_folder_count (self->folder));
    }
  _osi_server_respond_json (msg, SOUP_STATUS_OK, object);
}

void
_osi_server_handle_list (OsiServer         *self,
                         SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = osi_backup_folder_list_json (self->folder);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "application/json", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
}
