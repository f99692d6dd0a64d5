/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-error.h"
#include "osi-json.h"

gboolean
osi_json_check_depth (const char  *data,
                      gsize        length,
                      guint        max_depth,
                      GError     **error)
{
  const char *p = data;
  const char *end = data + length;
  guint depth = 0;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  while (p < end)
    {
      switch (*p++)
        {
        case '"':
          /* To the closing quote, over escapes; an unclosed string is the
           * parser's to report. */
          while (p < end && *p != '"')
            p += *p == '\\' ? 2 : 1;
          p++;
          break;

        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The JSON nests deeper than %u levels (at byte %lu): it is refused."), max_depth,
                           (gulong)(p - 1 - data));
              return FALSE;
            }
          break;

        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;

        default:
          break;
        }
    }
  return TRUE;
}

JsonNode *
osi_json_parse (const char  *data,
                gsize        length,
                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!osi_json_check_depth (data, length, OSI_JSON_MAX_DEPTH, error))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA, _("The JSON text is empty."));
      return NULL;
    }
  return json_node_ref (root);
}
