/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-rag-validator-private.h"

/* The messages of the validator: where a knowledge base stops being JSON or
 * breaks the schema of docs/archive-format.md §6, named by its entry and the
 * path inside it. The walk in osi-rag-validator.c calls these only
 * on the way out, and to keep the name of each entry. */

void
_osi_rag_validator_remember_entry_name (OsiRagValidator *self,
                                        const guint8    *key,
                                        gsize            len,
                                        gboolean         cut)
{
  if (len > NAME_CAP)
    {
      len = NAME_CAP;
      cut = TRUE;
      /* Back up to a character boundary; the key is already valid UTF-8. */
      while (len > 0 && (key[len] & 0xc0) == 0x80)
        len--;
    }

  memcpy (self->entry_name, key, len);
  if (cut)
    memcpy (self->entry_name + len, "…", sizeof "…");
  else
    self->entry_name[len] = '\0';
}

void
_osi_rag_validator_set_json_error (OsiRagValidator *self,
                                   guint64          offset,
                                   const char      *reason)
{
  char where[24];

  g_snprintf (where, sizeof where, "%" G_GUINT64_FORMAT, offset);
  self->status = OSI_RAG_INVALID_JSON;
  /* The offset is passed pre-formatted: xgettext cannot see through
   * G_GUINT64_FORMAT and would cut the msgid short. */
  self->message = g_strdup_printf (_("Invalid JSON at byte %s: %s"), where, reason);
}

/* The path of the current container relative to its entry, e.g.
 * “details.Messages[2].Bubbles[0]”; empty at the entry itself. */
static GString *
container_path (OsiRagValidator *self)
{
  GString *path = g_string_new (NULL);

  for (guint i = 2; i < self->depth; i++)
    {
      const Frame *frame = &self->frames[i];

      if (frame->name != NULL)
        {
          if (path->len > 0)
            g_string_append_c (path, '.');
          g_string_append (path, frame->name);
        }
      else
        g_string_append_printf (path, "[%" G_GUINT64_FORMAT "]", self->frames[i - 1].count - 1);
    }

  return path;
}

static void
append_member (GString    *path,
               const char *name)
{
  if (path->len > 0)
    g_string_append_c (path, '.');
  g_string_append (path, name);
}

void
_osi_rag_validator_set_missing_error (OsiRagValidator *self,
                                      const char      *field)
{
  g_autoptr(GString) path = container_path (self);

  append_member (path, field);
  self->status = OSI_RAG_INVALID_SCHEMA;
  self->message = g_strdup_printf (_("Entry “%s”: field “%s” is missing"),
                                   self->entry_name, path->str);
}

void
_osi_rag_validator_set_type_error (OsiRagValidator *self,
                                   const FieldSpec *spec)
{
  g_autoptr(GString) path = NULL;
  const char *entry = self->entry_name;
  const Frame *top;

  self->status = OSI_RAG_INVALID_SCHEMA;

  if (spec->message == TM_ROOT_OBJECT)
    {
      self->message = g_strdup (_("The knowledge base must be a JSON object"));
      return;
    }
  if (spec->message == TM_ENTRY_OBJECT)
    {
      self->message = g_strdup_printf (_("Entry “%s” must be a JSON object"), entry);
      return;
    }

  path = container_path (self);
  top = &self->frames[self->depth - 1];
  if (top->is_array)
    g_string_append_printf (path, "[%" G_GUINT64_FORMAT "]", top->count - 1);
  else
    append_member (path, spec->name);

  switch ((TypeMessage) spec->message)
    {
    case TM_STRING:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be a string"),
                                       entry, path->str);
      break;
    case TM_STRING_OR_NULL:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be a string or null"),
                                       entry, path->str);
      break;
    case TM_NUMBER:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be a number"),
                                       entry, path->str);
      break;
    case TM_OBJECT:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be an object"),
                                       entry, path->str);
      break;
    case TM_ARRAY:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be an array"),
                                       entry, path->str);
      break;
    case TM_ARRAY_OR_STRING:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be an array or a string"),
                                       entry, path->str);
      break;
    case TM_BOOL_STRING_OR_NULL:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be a boolean, a string or null"),
                                       entry, path->str);
      break;
    case TM_STRING_OR_OBJECT:
      self->message = g_strdup_printf (_("Entry “%s”: field “%s” must be a string or an object"),
                                       entry, path->str);
      break;
    case TM_NONE:
    case TM_ROOT_OBJECT:
    case TM_ENTRY_OBJECT:
    default:
      g_assert_not_reached ();
    }
}
