/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-json.h"
#include "osi-server-private.h"

/* What a request carries: the backup it names in its query's "filename"
 * or its body's "backupFile" (a 400 answered when missing or invalid),
 * the flags of its query, its body as JSON. */

/* The value of a part of a query when it is the parameter name: what
 * follows "name=", or bare_value for the bare name; NULL for another
 * parameter. */
static const char *
query_part_value (const char *part,
                  const char *name,
                  const char *bare_value)
{
  gsize length = strlen (name);

  if (strncmp (part, name, length) != 0)
    return NULL;
  if (part[length] == '\0')
    return bare_value;
  return part[length] == '=' ? part + length + 1 : NULL;
}

/* The "filename" parameter of the query, percent-decoded by hand so that
 * an encoded NUL cannot cut the name short. */
NameStatus
_osi_server_query_filename (SoupServerMessage  *msg,
                            char              **out_name)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_auto(GStrv) parts = NULL;
  g_autofree char *name = NULL;
  guint found = 0;

  *out_name = NULL;
  if (query == NULL)
    return NAME_ABSENT;

  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      const char *raw;
      const char *data;
      gsize len;

      if ((raw = query_part_value (parts[i], "filename", "")) == NULL)
        continue;

      if (++found > 1)
        return NAME_INVALID;
      bytes = g_uri_unescape_bytes (raw, -1, NULL, NULL);
      if (bytes == NULL)
        return NAME_INVALID;
      data = g_bytes_get_data (bytes, &len);
      if (len == 0 || memchr (data, '\0', len) != NULL)
        return NAME_INVALID;
      name = g_strndup (data, len);
    }

  if (found == 0)
    return NAME_ABSENT;
  if (!osi_backup_name_is_valid (name))
    return NAME_INVALID;
  *out_name = g_steal_pointer (&name);
  return NAME_VALID;
}

void
_osi_server_respond_bad_name (SoupServerMessage *msg)
{
  _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                             _("Invalid backup name: a name starts with a letter or a digit, holds only letters, digits, “.”, “_” and “-”, no “..”, and at most 201 characters."));
}

/* The name a request must carry; answers 400 itself when it is missing or
 * invalid. */
char *
_osi_server_require_filename (SoupServerMessage *msg)
{
  char *name = NULL;

  switch (_osi_server_query_filename (msg, &name))
    {
    case NAME_VALID:
      return name;
    case NAME_ABSENT:
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", _("The “filename” parameter is missing."));
      return NULL;
    case NAME_INVALID:
    default:
      _osi_server_respond_bad_name (msg);
      return NULL;
    }
}

/* The query's flag name: set by the bare name, 1, true or yes, cleared
 * by 0, false or no, the last one counting; cleared without one. FALSE
 * when a value is none of these. */
gboolean
_osi_server_query_flag (SoupServerMessage *msg,
                        const char        *name,
                        gboolean          *value)
{
  static const char * const yes[] = { "1", "true", "yes", NULL };
  static const char * const no[] = { "0", "false", "no", NULL };
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_auto(GStrv) parts = NULL;
  gboolean known = TRUE;

  *value = FALSE;
  if (query == NULL)
    return TRUE;
  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *text = query_part_value (parts[i], name, "1");

      if (text == NULL)
        continue;
      if (g_strv_contains (yes, text))
        *value = TRUE;
      else if (g_strv_contains (no, text))
        *value = FALSE;
      else
        known = FALSE;
    }
  return known;
}

/* The request's body as JSON: NULL when there is none or it is not
 * JSON. */
JsonNode *
_osi_server_request_json (SoupServerMessage *msg)
{
  Request *req = _osi_server_request_get (msg);

  if (req->body == NULL || req->body->len == 0)
    return NULL;
  return osi_json_parse ((const char *)req->body->data, req->body->len, NULL);
}

/* The valid name of the request body's "backupFile", which a restore
 * and an off-site fetch carry; answers 400 itself when the body is not
 * such an object or the name is missing or invalid. */
char *
_osi_server_require_backup_file (SoupServerMessage *msg)
{
  g_autoptr(JsonNode) root = _osi_server_request_json (msg);
  JsonNode *member;
  const char *name;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                                 _("The request body must be a JSON object such as {\"backupFile\": \"backup_20250101_120000.tar.zst\"}."));
      return NULL;
    }
  member = json_object_get_member (json_node_get_object (root), "backupFile");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", _("The request body has no “backupFile” name."));
      return NULL;
    }
  name = json_node_get_string (member);
  if (!osi_backup_name_is_valid (name))
    {
      _osi_server_respond_bad_name (msg);
      return NULL;
    }
  return g_strdup (name);
}
