/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a list of backups (docs/api.md §3.2): from a json-glib tree, or
 * streaming from the text through the core's JSON tokenizer. */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-backup-info-private.h"
#include "osi-error.h"
#include "osi-json-tokenizer.h"

static const Extras no_extras = { { FIELD_ABSENT, NULL, 0 } };

static OsiBackupInfo *
info_from_other (const Field *value,
                 GTimeZone   *naive_tz)
{
  static const Field absent = { FIELD_ABSENT, NULL, 0 };

  return _osi_backup_info_from_entry (value->kind == FIELD_STRING ? value : &absent, &absent, &absent, &absent,
                          &no_extras, naive_tz);
}

GPtrArray *
osi_backup_info_list_from_json (JsonNode   *root,
                                GTimeZone  *naive_tz,
                                GError    **error)
{
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *object;
  JsonNode *backups;
  JsonArray *array;
  guint n_entries;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup list is not a JSON object"));
      return NULL;
    }

  object = json_node_get_object (root);
  backups = json_object_get_member (object, "backups");
  if (backups == NULL || !JSON_NODE_HOLDS_ARRAY (backups))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup list has no “backups” array"));
      return NULL;
    }

  array = json_node_get_array (backups);
  n_entries = json_array_get_length (array);
  list = g_ptr_array_new_full (n_entries, g_object_unref);

  for (guint i = 0; i < n_entries; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      OsiBackupInfo *info;

      if (JSON_NODE_HOLDS_OBJECT (element))
        {
          JsonObject *entry = json_node_get_object (element);
          Field name = _osi_backup_info_field_from_node (json_object_get_member (entry, "name"));
          Field date = _osi_backup_info_field_from_node (json_object_get_member (entry, "date"));
          Field size = _osi_backup_info_field_from_node (json_object_get_member (entry, "size"));
          Field sha256 = _osi_backup_info_field_from_node (json_object_get_member (entry, "sha256"));
          Extras extras = _osi_backup_info_extras_from_object (entry);

          info = _osi_backup_info_from_entry (&name, &date, &size, &sha256, &extras, naive_tz);
        }
      else
        {
          Field value = _osi_backup_info_field_from_node (element);

          info = info_from_other (&value, naive_tz);
        }

      g_ptr_array_add (list, info);
    }

  return g_steal_pointer (&list);
}

/* ------------------------------------------------------------------------ */
/* The streaming reader                                                     */

/* A list of 100,000 backups is a 15 MB answer; as a json-glib tree it
 * takes about 110 MB and a third of a second before the first backup is
 * made. This reader walks the text once, through the core's JSON
 * tokenizer, and makes each backup as soon as its entry ends, keeping only
 * that entry's four members. It accepts standard JSON (RFC 8259) only and
 * refuses what it does not understand; NUL characters and lone surrogate
 * escapes too, anywhere: no backup field needs them and C strings cannot
 * hold the first. */

#define MAX_DEPTH 64

typedef struct
{
  OsiJsonTokenizer tk;
  const guint8    *p;
  const guint8    *end;
  OsiJsonSpan      span;
} Reader;

/* The whole text is one chunk, the last: no NEED_MORE. */
static inline OsiJsonToken
next_token (Reader *reader)
{
  return osi_json_tokenizer_next (&reader->tk, &reader->p, reader->end, &reader->span);
}

/* The rest of a string whose first part was just read, into out; with
 * out NULL, the rest is skipped. */
static gboolean
read_string (Reader       *reader,
             OsiJsonToken  first,
             GString      *out)
{
  if (out == NULL)
    {
      osi_json_tokenizer_skip (&reader->tk);
      return TRUE;
    }
  g_string_truncate (out, 0);
  for (;;)
    {
      g_string_append_len (out, (const char *)reader->span.data, (gssize)reader->span.len);
      if (reader->span.last)
        return TRUE;
      if (next_token (reader) != first)
        return FALSE;
    }
}

/* Whether a number's text is an integer that fits gint64. */
static gboolean
number_is_int64 (const OsiJsonSpan *span,
                 gint64            *value)
{
  char text[32];
  char *text_end;

  if (span->data == NULL || span->len >= sizeof text || memchr (span->data, '.', span->len) != NULL ||
      memchr (span->data, 'e', span->len) != NULL || memchr (span->data, 'E', span->len) != NULL)
    return FALSE;
  memcpy (text, span->data, span->len);
  text[span->len] = '\0';
  errno = 0;
  *value = g_ascii_strtoll (text, &text_end, 10);
  return errno == 0 && *text_end == '\0';
}

/* Reads the value whose first token is `token`. For a string or a number,
 * *field (when not NULL) says what it was, the string going into string. */
static gboolean
read_value (Reader       *reader,
            OsiJsonToken  token,
            Field        *field,
            GString      *string)
{
  Field ignored;

  if (field == NULL)
    {
      field = &ignored;
      string = NULL;
    }
  field->kind = FIELD_OTHER;
  switch (token)
    {
    case OSI_JSON_TOKEN_STRING_PART:
      field->kind = FIELD_STRING;
      return read_string (reader, token, string);
    case OSI_JSON_TOKEN_NUMBER:
      if (number_is_int64 (&reader->span, &field->integer))
        field->kind = FIELD_INT;
      return TRUE;
    case OSI_JSON_TOKEN_NULL:
      field->kind = FIELD_ABSENT;
      return TRUE;
    case OSI_JSON_TOKEN_TRUE:
    case OSI_JSON_TOKEN_FALSE:
      field->kind = FIELD_BOOL;
      field->integer = token == OSI_JSON_TOKEN_TRUE;
      return TRUE;
    case OSI_JSON_TOKEN_BEGIN_OBJECT:
    case OSI_JSON_TOKEN_BEGIN_ARRAY:
      osi_json_tokenizer_skip (&reader->tk);
      return TRUE;
    default:
      return FALSE;
    }
}

/* The next member name of an object into key, or FALSE with *closed set
 * at the object's end. */
static gboolean
read_key (Reader   *reader,
          GString  *key,
          gboolean *closed)
{
  OsiJsonToken token = next_token (reader);

  *closed = token == OSI_JSON_TOKEN_END_OBJECT;
  return token == OSI_JSON_TOKEN_KEY_PART && read_string (reader, token, key);
}

static gboolean
key_is (const GString *key,
        const char    *name)
{
  return key->len == strlen (name) && memcmp (key->str, name, key->len) == 0;
}

/* The members of an entry this reader keeps: the plain ones, then those
 * of the objects of nested_members. */
enum
{
  M_NAME,
  M_DATE,
  M_SIZE,
  M_SHA256,
  M_PROTECTED,
  M_NOTE,
  M_KIND,
  M_LOCAL,
  M_COPIED,
  N_PLAIN_MEMBERS,
  M_VERIFIED_AT = N_PLAIN_MEMBERS,
  M_VERDICT,
  M_OFFSITE_STATE,
  M_OFFSITE_AT,
  M_OFFSITE_DETAIL,
  N_MEMBERS
};

static const char * const entry_members[N_PLAIN_MEMBERS] = { "name", "date", "size", "sha256", "protected", "note",
                                                             "kind", "local", "copied" };

/* The object members of an entry (docs/api.md §6.2 "verified", §7.3
 * "offsite"): each of theirs kept goes to the fields from first on. */
static const struct
{
  const char         *name;
  guint               first;
  guint               n_members;
  const char * const  members[3];
} nested_members[] = {
  { "verified", M_VERIFIED_AT, 2, { "at", "verdict" } },
  { "offsite", M_OFFSITE_STATE, 3, { "state", "at", "detail" } },
};

typedef struct
{
  GString *key;
  GString *strings[N_MEMBERS];
} EntryBuffers;

/* The value of member into fields, its string kept in buffers; a member
 * not kept (N_MEMBERS) is read past. */
static gboolean
read_member (Reader       *reader,
             guint         member,
             EntryBuffers *buffers,
             Field        *fields)
{
  if (member == N_MEMBERS)
    return read_value (reader, next_token (reader), NULL, NULL);
  if (!read_value (reader, next_token (reader), &fields[member], buffers->strings[member]))
    return FALSE;
  fields[member].string = buffers->strings[member]->str;
  return TRUE;
}

/* The members of the nested object n of an entry (its '{' read). */
static gboolean
read_nested (Reader       *reader,
             guint         n,
             EntryBuffers *buffers,
             Field        *fields)
{
  gboolean closed;

  while (read_key (reader, buffers->key, &closed))
    {
      guint member = N_MEMBERS;

      for (guint i = 0; i < nested_members[n].n_members; i++)
        if (key_is (buffers->key, nested_members[n].members[i]))
          member = nested_members[n].first + i;
      if (!read_member (reader, member, buffers, fields))
        return FALSE;
    }
  return closed;
}

/* Reads the members of one backup entry (its '{' read) into fields,
 * strings pointing into buffers. */
static gboolean
read_entry (Reader       *reader,
            EntryBuffers *buffers,
            Field        *fields)
{
  gboolean closed;

  for (guint i = 0; i < N_MEMBERS; i++)
    fields[i] = (Field){ FIELD_ABSENT, NULL, 0 };
  while (read_key (reader, buffers->key, &closed))
    {
      guint member = N_MEMBERS;
      guint nested = G_N_ELEMENTS (nested_members);

      for (guint i = 0; i < N_PLAIN_MEMBERS; i++)
        if (key_is (buffers->key, entry_members[i]))
          {
            member = i;
            break;
          }
      for (guint i = 0; member == N_MEMBERS && i < G_N_ELEMENTS (nested_members); i++)
        if (key_is (buffers->key, nested_members[i].name))
          nested = i;
      if (nested < G_N_ELEMENTS (nested_members))
        {
          OsiJsonToken token = next_token (reader);

          for (guint i = 0; i < nested_members[nested].n_members; i++)
            fields[nested_members[nested].first + i] = (Field){ FIELD_ABSENT, NULL, 0 };
          if (token == OSI_JSON_TOKEN_BEGIN_OBJECT ? !read_nested (reader, nested, buffers, fields)
                                                   : !read_value (reader, token, NULL, NULL))
            return FALSE;
        }
      /* A member given twice counts once, the last time, as in json-glib. */
      else if (!read_member (reader, member, buffers, fields))
        return FALSE;
    }
  return closed;
}

/* The list read before, whose objects are given back for the entries
 * that did not change. Lists come in the same order each time (the
 * server's, newest first): the entry read is compared with the previous
 * list's next one, and with the one after it, which a backup removed or
 * moved leaves there. */
typedef struct
{
  GPtrArray *items;   /* NULL: none */
  guint      next;
} Previous;

/* info, or the previous list's object that says the same (info then
 * freed: the next entry's allocations reuse its memory). */
static OsiBackupInfo *
keep_previous (Previous      *previous,
               OsiBackupInfo *info)
{
  if (previous->items == NULL)
    return info;
  for (guint skip = 0; skip < 2 && previous->next + skip < previous->items->len; skip++)
    {
      OsiBackupInfo *old = g_ptr_array_index (previous->items, previous->next + skip);

      if (_osi_backup_info_same (old, info))
        {
          previous->next += skip + 1;
          g_object_unref (info);
          return g_object_ref (old);
        }
    }
  return info;
}

/* Reads the "backups" array (its '[' read) into list. */
static gboolean
read_backups (Reader     *reader,
              GPtrArray  *list,
              GTimeZone  *naive_tz,
              Previous   *previous)
{
  EntryBuffers buffers = { g_string_new (NULL), { NULL } };
  gboolean ok = FALSE;

  for (guint i = 0; i < N_MEMBERS; i++)
    buffers.strings[i] = g_string_new (NULL);
  g_ptr_array_set_size (list, 0);
  for (;;)
    {
      OsiJsonToken token = next_token (reader);
      Field fields[N_MEMBERS];
      OsiBackupInfo *info;

      if (token == OSI_JSON_TOKEN_END_ARRAY)
        {
          ok = TRUE;
          break;
        }
      if (token == OSI_JSON_TOKEN_BEGIN_OBJECT)
        {
          Extras extras;

          if (!read_entry (reader, &buffers, fields))
            break;
          extras = (Extras){ fields[M_PROTECTED], fields[M_NOTE], fields[M_KIND],
                             fields[M_VERIFIED_AT], fields[M_VERDICT],
                             fields[M_OFFSITE_STATE], fields[M_OFFSITE_AT], fields[M_OFFSITE_DETAIL],
                             fields[M_LOCAL], fields[M_COPIED] };
          info = _osi_backup_info_from_entry (&fields[M_NAME], &fields[M_DATE], &fields[M_SIZE], &fields[M_SHA256],
                                  &extras, naive_tz);
        }
      else
        {
          /* Kept as a name, if it is a string. */
          if (!read_value (reader, token, &fields[0], buffers.strings[0]))
            break;
          fields[0].string = buffers.strings[0]->str;
          info = info_from_other (&fields[0], naive_tz);
        }
      g_ptr_array_add (list, keep_previous (previous, info));
    }

  g_string_free (buffers.key, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (buffers.strings); i++)
    g_string_free (buffers.strings[i], TRUE);
  return ok;
}

/* Reads the members of the top-level object (its '{' read), the entries
 * from its array member `array` ("backups", or GET /offsite's
 * "copies"). */
static gboolean
read_list (Reader     *reader,
           const char *array,
           GPtrArray  *list,
           GTimeZone  *naive_tz,
           Previous   *previous,
           gboolean   *has_backups)
{
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean closed;

  while (read_key (reader, key, &closed))
    {
      OsiJsonToken token = next_token (reader);

      if (key_is (key, array) && token == OSI_JSON_TOKEN_BEGIN_ARRAY)
        {
          *has_backups = TRUE;
          previous->next = 0;
          if (!read_backups (reader, list, naive_tz, previous))
            return FALSE;
        }
      else
        {
          /* A later non-array "backups" replaces an earlier array. */
          if (key_is (key, array))
            *has_backups = FALSE;
          if (!read_value (reader, token, NULL, NULL))
            return FALSE;
        }
    }
  return closed;
}

GPtrArray *
osi_backup_info_list_parse (const char  *data,
                            gsize        length,
                            GTimeZone   *naive_tz,
                            GError     **error)
{
  return osi_backup_info_list_parse_again (data, length, naive_tz, NULL, error);
}

/* The words of a failure to read a list of backups, or of off-site
 * copies. */
typedef struct
{
  const char *array;
  gboolean    copies;
  const char *not_object;
  const char *no_array;
} ListWords;

static const ListWords backups_words = {
  "backups",
  FALSE,
  N_("The backup list is not a JSON object"),
  N_("The backup list has no “backups” array"),
};

static const ListWords copies_words = {
  "copies",
  TRUE,
  N_("The list of off-site copies is not a JSON object"),
  N_("The list of off-site copies has no “copies” array"),
};

static GPtrArray *
parse_entries (const char       *data,
               gsize             length,
               GTimeZone        *naive_tz,
               GPtrArray        *previous_items,
               const ListWords  *words,
               GError          **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  Previous previous = { previous_items, 0 };
  Reader reader;
  OsiJsonToken token;
  gboolean has_backups = FALSE;
  gboolean ok;
  guint64 offset;

  osi_json_tokenizer_init (&reader.tk, MAX_DEPTH,
                           OSI_JSON_TOKENIZER_REFUSE_NUL | OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES);
  osi_json_tokenizer_finish (&reader.tk);
  reader.p = (const guint8 *)data;
  reader.end = length > 0 ? reader.p + length : reader.p;

  token = next_token (&reader);
  if (token == OSI_JSON_TOKEN_BEGIN_OBJECT)
    ok = read_list (&reader, words->array, list, naive_tz, &previous, &has_backups);
  else
    {
      ok = read_value (&reader, token, NULL, NULL);
      if (ok && next_token (&reader) == OSI_JSON_TOKEN_END)
        {
          g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA, _(words->not_object));
          return NULL;
        }
    }

  if (!ok || next_token (&reader) != OSI_JSON_TOKEN_END)
    {
      if (osi_json_tokenizer_get_error (&reader.tk, &offset) == OSI_JSON_ERROR_NONE)
        offset = osi_json_tokenizer_get_offset (&reader.tk);
      if (words->copies)
        g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                     _("The list of off-site copies is not valid JSON (at byte %lu)"), (gulong)offset);
      else
        g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                     _("The backup list is not valid JSON (at byte %lu)"), (gulong)offset);
      return NULL;
    }
  if (!has_backups)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA, _(words->no_array));
      return NULL;
    }
  return g_steal_pointer (&list);
}

GPtrArray *
osi_backup_info_list_parse_again (const char  *data,
                                  gsize        length,
                                  GTimeZone   *naive_tz,
                                  GPtrArray   *previous_items,
                                  GError     **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return parse_entries (data, length, naive_tz, previous_items, &backups_words, error);
}

GPtrArray *
osi_backup_info_offsite_parse (const char  *data,
                               gsize        length,
                               GTimeZone   *naive_tz,
                               GError     **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return parse_entries (data, length, naive_tz, NULL, &copies_words, error);
}
