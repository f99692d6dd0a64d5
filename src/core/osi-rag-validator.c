/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-json-scan-private.h"
#include "osi-rag-validator-private.h"

/* Knowledge bases run to hundreds of megabytes and are checked while they
 * are being decompressed, so this walks the tokens of the core's JSON
 * tokenizer over the chunks as they come: no tree, a fixed stack, and what
 * the schema does not look into (unknown members, the text of strings) is
 * skipped by the tokenizer without being decoded. */

/* The schema of a knowledge base (docs/archive-format.md §6), as tables
 * that the walk follows; kept here, where the compiler sees them. */

#define FIELD(n, t, o, a, m) { n, sizeof (n) - 1, t, o, a, m }
#define ELEMENT(t, o, a, m)  { NULL, 0, t, o, a, m }
#define END_OF_FIELDS        ELEMENT (0, 0, 0, 0)

static const FieldSpec any_spec = ELEMENT (T_ANY, K_ANY, K_ANY, TM_NONE);
static const FieldSpec root_spec = ELEMENT (T_OBJECT, K_ROOT, K_ANY, TM_ROOT_OBJECT);
static const FieldSpec entry_spec = ELEMENT (T_OBJECT, K_ENTRY, K_ANY, TM_ENTRY_OBJECT);

static const FieldSpec entry_fields[] = {
  FIELD ("name", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("description", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("search", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("keywords", T_ARRAY | T_STRING, K_ANY, K_KEYWORDS, TM_ARRAY_OR_STRING),
  FIELD ("links", T_ARRAY | T_STRING, K_ANY, K_LINKS, TM_ARRAY_OR_STRING),
  FIELD ("details", T_OBJECT, K_DETAILS, K_ANY, TM_OBJECT),
  END_OF_FIELDS
};

static const FieldSpec details_fields[] = {
  FIELD ("Name", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("Label", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("Messages", T_ARRAY, K_ANY, K_MESSAGES, TM_ARRAY),
  END_OF_FIELDS
};

static const FieldSpec message_fields[] = {
  FIELD ("Label", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Description", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Bubbles", T_ARRAY, K_ANY, K_BUBBLES, TM_ARRAY),
  FIELD ("Buttons", T_ARRAY, K_ANY, K_BUTTONS, TM_ARRAY),
  FIELD ("Actions", T_ARRAY, K_ANY, K_ANY, TM_ARRAY),
  FIELD ("Cards", T_ARRAY, K_ANY, K_ANY, TM_ARRAY),
  FIELD ("OpenQuestion", T_BOOL | T_STRING | T_NULL, K_ANY, K_ANY, TM_BOOL_STRING_OR_NULL),
  FIELD ("OpenQuestionLink", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  END_OF_FIELDS
};

static const FieldSpec bubble_fields[] = {
  FIELD ("Text", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Image", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Video", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Order", T_NUMBER, K_ANY, K_ANY, TM_NUMBER),
  END_OF_FIELDS
};

static const FieldSpec button_fields[] = {
  FIELD ("Label", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Link", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Type", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Order", T_NUMBER, K_ANY, K_ANY, TM_NUMBER),
  END_OF_FIELDS
};

/* Indexed by Kind: the members of an object kind, the elements of an array
 * kind, and which members must all be present when the object closes. */
static const FieldSpec *const kind_fields[N_KINDS] = {
  [K_ENTRY] = entry_fields,
  [K_DETAILS] = details_fields,
  [K_MESSAGE] = message_fields,
  [K_BUBBLE] = bubble_fields,
  [K_BUTTON] = button_fields,
};

static const FieldSpec kind_elements[N_KINDS] = {
  [K_ANY] = ELEMENT (T_ANY, K_ANY, K_ANY, TM_NONE),
  [K_KEYWORDS] = ELEMENT (T_STRING, K_ANY, K_ANY, TM_STRING),
  [K_LINKS] = ELEMENT (T_STRING | T_OBJECT, K_ANY, K_ANY, TM_STRING_OR_OBJECT),
  [K_MESSAGES] = ELEMENT (T_OBJECT, K_MESSAGE, K_ANY, TM_OBJECT),
  [K_BUBBLES] = ELEMENT (T_OBJECT, K_BUBBLE, K_ANY, TM_OBJECT),
  [K_BUTTONS] = ELEMENT (T_OBJECT, K_BUTTON, K_ANY, TM_OBJECT),
};

static const guint8 kind_required[N_KINDS] = {
  [K_ENTRY] = 0x3f,
  [K_DETAILS] = 0x07,
};

/* The type of a value from its first byte, 0 for a byte that starts none
 * (the tokenizer then says what is wrong). */
static const guint8 first_byte_type[256] = {
  ['"'] = T_STRING,
  ['{'] = T_OBJECT,
  ['['] = T_ARRAY,
  ['t'] = T_BOOL,
  ['f'] = T_BOOL,
  ['n'] = T_NULL,
  ['-'] = T_NUMBER,
  ['0'] = T_NUMBER, ['1'] = T_NUMBER, ['2'] = T_NUMBER, ['3'] = T_NUMBER, ['4'] = T_NUMBER,
  ['5'] = T_NUMBER, ['6'] = T_NUMBER, ['7'] = T_NUMBER, ['8'] = T_NUMBER, ['9'] = T_NUMBER,
};

static void
key_append (OsiRagValidator *self,
            const guint8    *bytes,
            gsize            len)
{
  gsize room = KEY_CAP - self->key_len;

  if (len == 0)
    return;
  if (len > room)
    {
      self->key_overflow = TRUE;
      len = room;
    }
  memcpy (self->key + self->key_len, bytes, len);
  self->key_len += len;
}

/* A part of a member name kept whole. The tokenizer decodes \u0000 to a
 * NUL byte (no other NUL can be in a string): it is kept as U+FFFD, so
 * that the name stays a C string in the messages. */
static void
key_append_part (OsiRagValidator *self,
                 const guint8    *bytes,
                 gsize            len)
{
  const guint8 *nul;

  while (len > 0 && (nul = memchr (bytes, 0, len)) != NULL)
    {
      key_append (self, bytes, nul - bytes);
      key_append (self, (const guint8 *) "\xef\xbf\xbd", 3);
      len -= nul + 1 - bytes;
      bytes = nul + 1;
    }
  key_append (self, bytes, len);
}

/* Whether the len bytes at a and b are the same, without a call: two
 * loads that may overlap cover 4 to 16 bytes, and no load leaves either
 * side. */
static inline gboolean
same_bytes (const guint8 *a,
            const guint8 *b,
            gsize         len)
{
  if (len >= 8 && len <= 16)
    {
      guint64 a0, a1, b0, b1;

      memcpy (&a0, a, 8);
      memcpy (&b0, b, 8);
      memcpy (&a1, a + len - 8, 8);
      memcpy (&b1, b + len - 8, 8);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
  if (len >= 4 && len < 8)
    {
      guint32 a0, a1, b0, b1;

      memcpy (&a0, a, 4);
      memcpy (&b0, b, 4);
      memcpy (&a1, a + len - 4, 4);
      memcpy (&b1, b + len - 4, 4);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
  for (gsize j = 0; j < len; j++)
    if (a[j] != b[j])
      return FALSE;
  return TRUE;
}

/* A member name's slot in the table of its object kind: the sum is one to
 * one over the names of each kind, which all have four bytes or more. */
#define SLOT(name, len) (((name)[0] + 2 * (name)[1] + (name)[2] + 3 * (len)) & 15)

/* Indexed by Kind and SLOT: 1 + the index of the member, 0 for none. */
static guint8 kind_slots[N_KINDS][16];

static void
init_slots (void)
{
  for (guint kind = 0; kind < N_KINDS; kind++)
    {
      const FieldSpec *fields = kind_fields[kind];

      for (guint i = 0; fields != NULL && fields[i].name != NULL; i++)
        {
          guint slot = SLOT ((const guint8 *) fields[i].name, fields[i].name_len);

          /* A new member whose slot is taken needs another sum. */
          g_assert (fields[i].name_len >= 4 && kind_slots[kind][slot] == 0);
          kind_slots[kind][slot] = (guint8) (i + 1);
        }
    }
}

static inline int
lookup_field (guint8        kind,
              const guint8 *key,
              gsize         len)
{
  const FieldSpec *field;
  guint i;

  if (len < 4)
    return -1;
  i = kind_slots[kind][SLOT (key, len)];
  if (i == 0)
    return -1;
  field = &kind_fields[kind][i - 1];
  if (field->name_len != len || !same_bytes ((const guint8 *) field->name, key, len))
    return -1;
  return (int) i - 1;
}

OsiRagValidator *
osi_rag_validator_new (void)
{
  static gsize slots_ready = 0;
  OsiRagValidator *self;

  if (g_once_init_enter (&slots_ready))
    {
      init_slots ();
      g_once_init_leave (&slots_ready, 1);
    }

  self = g_new0 (OsiRagValidator, 1);
  osi_json_tokenizer_init (&self->tk, MAX_DEPTH, OSI_JSON_TOKENIZER_DEFAULT);
  self->cur_field = &any_spec;
  /* The top-level value must be an object. */
  self->peek = PEEK_VALUE;

  return self;
}

void
osi_rag_validator_free (OsiRagValidator *self)
{
  if (self == NULL)
    return;

  g_free (self->message);
  g_free (self);
}

/* Whether the top container is an array whose elements the schema types:
 * each element's type is then checked at its first byte, so the element
 * before it may not be skipped (see peek_value ()). */
static inline gboolean
in_typed_array (const OsiRagValidator *self)
{
  const Frame *top;

  if (self->depth == 0)
    return FALSE;
  top = &self->frames[self->depth - 1];
  return top->is_array && top->kind != K_ANY;
}

/* After a whole value: in a typed array, the next element's type. */
static inline void
value_done (OsiRagValidator *self)
{
  if (in_typed_array (self))
    {
      self->peek = PEEK_SEPARATOR;
      self->separator = ',';
    }
}

/* What the schema says of the value that comes now. */
static inline const FieldSpec *
value_spec (const OsiRagValidator *self)
{
  const Frame *top;

  if (self->depth == 0)
    return &root_spec;
  top = &self->frames[self->depth - 1];
  if (top->is_array)
    return &kind_elements[top->kind];
  return self->cur_field;
}

/* A value's type is checked at its first byte, as soon as it is read,
 * whatever follows: a wrong type is reported the same wherever the chunks
 * end, and before any error inside the value. The tokenizer gives a string
 * value only with its first part, which may come at the end of a chunk or
 * wait for the closing quote, and a number or a literal once whole, so
 * the walk looks ahead of it, from where it stands (p), over the few bytes
 * up to the value: the separator if one is due, whitespace, and the
 * value's first byte. Anything else is left to the tokenizer, which
 * reads these bytes again and says what is wrong. */
static gboolean
peek_value (OsiRagValidator *self,
            const guint8    *p,
            const guint8    *end)
{
  const FieldSpec *spec;
  guint8 type;

  if (self->peek == PEEK_SEPARATOR)
    {
      p = skip_ws (p, end);
      if (p == end)
        return TRUE;
      if (*p != self->separator)
        {
          self->peek = PEEK_NONE;
          return TRUE;
        }
      p++;
      self->peek = PEEK_VALUE;
    }

  p = skip_ws (p, end);
  if (p == end)
    return TRUE;
  self->peek = PEEK_NONE;
  type = first_byte_type[*p];
  if (type == 0)
    return TRUE;
  if (self->depth > 0 && self->frames[self->depth - 1].is_array)
    self->frames[self->depth - 1].count++;
  spec = value_spec (self);
  if (G_UNLIKELY ((spec->types & type) == 0))
    {
      _osi_rag_validator_set_type_error (self, spec);
      return FALSE;
    }
  return TRUE;
}

/* The last part of a member name: it is matched against the members of
 * its object, or kept as the entry's name. */
G_ALWAYS_INLINE static inline void
key_done (OsiRagValidator *self,
          Frame           *top,
          const guint8    *key,
          gsize            len,
          gboolean         cut)
{
  self->cur_field = &any_spec;
  if (top->kind == K_ROOT)
    {
      _osi_rag_validator_remember_entry_name (self, key, len, cut);
      self->entries++;
      self->cur_field = &entry_spec;
    }
  else if (!cut && len > 0)
    {
      int index = lookup_field (top->kind, key, len);

      if (index >= 0)
        {
          self->cur_field = &kind_fields[top->kind][index];
          top->seen |= 1u << index;
        }
    }
  if (self->cur_field->types != T_ANY)
    {
      self->peek = PEEK_SEPARATOR;
      self->separator = ':';
    }
}

static inline void
key_part (OsiRagValidator   *self,
          const OsiJsonSpan *span)
{
  Frame *top = &self->frames[self->depth - 1];

  if (top->kind == K_ANY)
    {
      /* An object in a typed array that the schema does not look into. */
      self->cur_field = &any_spec;
      if (!span->last)
        osi_json_tokenizer_skip (&self->tk);
      return;
    }

  /* Most names come whole, as they lie in the chunk. A NUL only matters
   * in an entry's name: no schema member has one or U+FFFD, so a name with
   * either matches none. */
  if (!self->in_key && span->last
      && (top->kind != K_ROOT || memchr (span->data, 0, span->len) == NULL))
    {
      key_done (self, top, span->data, MIN (span->len, KEY_CAP), span->len > KEY_CAP);
      return;
    }

  if (!self->in_key)
    {
      self->in_key = TRUE;
      self->key_len = 0;
      self->key_overflow = FALSE;
    }
  key_append_part (self, span->data, span->len);
  if (span->last)
    {
      self->in_key = FALSE;
      key_done (self, top, (const guint8 *) self->key, self->key_len, self->key_overflow);
    }
}

/* A '{' or '[' whose type the look-ahead has checked. */
static inline void
open_container (OsiRagValidator *self,
                gboolean         is_array)
{
  const FieldSpec *spec = value_spec (self);
  guint8 kind = is_array ? spec->arr_kind : spec->obj_kind;
  Frame *top;

  /* The tokenizer's depth limit is MAX_DEPTH too: the frames suffice. */
  g_assert (self->depth < MAX_DEPTH);

  if (kind == K_ANY && !in_typed_array (self))
    {
      osi_json_tokenizer_skip (&self->tk);
      return;
    }

  top = &self->frames[self->depth];
  top->name = (self->depth > 0 && !self->frames[self->depth - 1].is_array) ? spec->name : NULL;
  top->count = 0;
  top->seen = 0;
  top->is_array = is_array;
  top->kind = kind;
  self->depth++;
  if (is_array && kind != K_ANY)
    self->peek = PEEK_VALUE;
}

/* The '}' of an object: every required member must have been seen. */
static inline gboolean
close_object (OsiRagValidator *self)
{
  Frame *top = &self->frames[self->depth - 1];
  guint8 required = kind_required[top->kind];

  if (G_UNLIKELY ((top->seen & required) != required))
    {
      const FieldSpec *fields = kind_fields[top->kind];

      for (guint i = 0; fields[i].name != NULL; i++)
        {
          if ((required & (1u << i)) != 0 && (top->seen & (1u << i)) == 0)
            {
              _osi_rag_validator_set_missing_error (self, fields[i].name);
              return FALSE;
            }
        }
    }
  self->depth--;
  value_done (self);
  return TRUE;
}

static OSI_RAG_COLD void
set_tokenizer_error (OsiRagValidator *self)
{
  g_autofree char *reason = NULL;
  guint64 offset;

  if (osi_json_tokenizer_get_error (&self->tk, &offset) == OSI_JSON_ERROR_EMPTY)
    {
      self->status = OSI_RAG_INVALID_JSON;
      self->message = g_strdup (_("The knowledge base is empty"));
      return;
    }
  reason = osi_json_tokenizer_describe_error (&self->tk);
  _osi_rag_validator_set_json_error (self, offset, reason);
}

/* Pulls the tokens of a chunk and follows them through the schema. */
static gboolean
walk (OsiRagValidator *self,
      const guint8    *p,
      const guint8    *end)
{
  OsiJsonSpan span;

  for (;;)
    {
      if (G_UNLIKELY (self->peek != PEEK_NONE) && !peek_value (self, p, end))
        return FALSE;

      switch (osi_json_tokenizer_next (&self->tk, &p, end, &span))
        {
        case OSI_JSON_TOKEN_NEED_MORE:
        case OSI_JSON_TOKEN_END:
          return TRUE;

        case OSI_JSON_TOKEN_ERROR:
          set_tokenizer_error (self);
          return FALSE;

        case OSI_JSON_TOKEN_BEGIN_OBJECT:
          open_container (self, FALSE);
          break;

        case OSI_JSON_TOKEN_BEGIN_ARRAY:
          open_container (self, TRUE);
          break;

        case OSI_JSON_TOKEN_END_OBJECT:
          if (!close_object (self))
            return FALSE;
          break;

        case OSI_JSON_TOKEN_END_ARRAY:
          self->depth--;
          value_done (self);
          break;

        case OSI_JSON_TOKEN_KEY_PART:
          key_part (self, &span);
          break;

        case OSI_JSON_TOKEN_STRING_PART:
          /* The text of a value is never needed: the rest of it is
           * skipped, unless the next element's first byte must be seen. */
          if (span.last)
            value_done (self);
          else if (!in_typed_array (self))
            osi_json_tokenizer_skip (&self->tk);
          break;

        case OSI_JSON_TOKEN_NUMBER:
        case OSI_JSON_TOKEN_TRUE:
        case OSI_JSON_TOKEN_FALSE:
        case OSI_JSON_TOKEN_NULL:
          value_done (self);
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

gboolean
osi_rag_validator_feed (OsiRagValidator *self,
                        const guint8    *data,
                        gsize            len)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (!self->finished, FALSE);

  if (self->status != OSI_RAG_OK)
    return FALSE;
  if (len == 0)
    return TRUE;

  return walk (self, data, data + len);
}

OsiRagStatus
osi_rag_validator_finish (OsiRagValidator *self,
                          char           **message)
{
  g_return_val_if_fail (self != NULL, OSI_RAG_INVALID_JSON);

  if (!self->finished)
    {
      static const guint8 nothing[1];

      self->finished = TRUE;
      /* A number still pending comes out, then the end or what is
       * missing. */
      if (self->status == OSI_RAG_OK)
        {
          osi_json_tokenizer_finish (&self->tk);
          walk (self, nothing, nothing);
        }
    }

  if (message != NULL)
    *message = g_strdup (self->message);

  return self->status;
}

guint64
osi_rag_validator_get_entry_count (OsiRagValidator *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->entries;
}
