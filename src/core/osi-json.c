/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-error.h"
#include "osi-json.h"
#include "osi-json-tokenizer.h"

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

/* The whole text through the one tokenizer: RFC 8259's syntax, the
 * nesting limit, and nothing but whitespace after the value. json-glib
 * alone takes more: "{}{}", "[1][2]" and "1 {}" (the first value kept),
 * comments, single quotes, raw control characters in strings. */
static gboolean
check_syntax (const char  *data,
              gsize        length,
              GError     **error)
{
  OsiJsonTokenizer tk;
  OsiJsonSpan span;
  const guint8 *p = (const guint8 *) data;
  const guint8 *end = p + length;
  OsiJsonToken token;
  g_autofree char *reason = NULL;
  g_autofree char *where = NULL;
  guint64 offset = 0;

  osi_json_tokenizer_init (&tk, OSI_JSON_MAX_DEPTH, OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES);
  osi_json_tokenizer_finish (&tk);
  while ((token = osi_json_tokenizer_next (&tk, &p, end, &span)) > OSI_JSON_TOKEN_END)
    osi_json_tokenizer_skip (&tk);
  if (token == OSI_JSON_TOKEN_END)
    return TRUE;

  if (osi_json_tokenizer_get_error (&tk, &offset) == OSI_JSON_ERROR_EMPTY)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA, _("The JSON text is empty."));
      return FALSE;
    }
  reason = osi_json_tokenizer_describe_error (&tk);
  where = g_strdup_printf ("%" G_GUINT64_FORMAT, offset);
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA, _("Invalid JSON at byte %s: %s"), where, reason);
  return FALSE;
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

  if (!check_syntax (data, length, error))
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
