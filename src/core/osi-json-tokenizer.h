/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "osi-json.h"

G_BEGIN_DECLS

/* The one JSON reader of the core (RFC 8259, UTF-8): a resumable tokenizer
 * that the caller pulls tokens from, over chunks it pushes one after the
 * other. It checks all of the syntax (UTF-8, escapes, numbers, colons,
 * commas, matching brackets, nesting depth), so the caller sees only
 * well-formed token sequences, and holds no tree: a fixed struct that the
 * caller embeds, no allocation at all.
 *
 *   OsiJsonTokenizer tk;
 *   OsiJsonSpan span;
 *   const guint8 *p = chunk;
 *
 *   osi_json_tokenizer_init (&tk, 64, OSI_JSON_TOKENIZER_DEFAULT);
 *   for each chunk:
 *     while ((token = osi_json_tokenizer_next (&tk, &p, chunk_end, &span)) > OSI_JSON_TOKEN_END)
 *       … use the token …
 *     (NEED_MORE: next chunk; ERROR: stop; END: the value is complete)
 *   osi_json_tokenizer_finish (&tk);
 *   and pull again with an empty chunk (or finish before the last chunk):
 *   a top-level number still pending comes out, then END or ERROR.
 */

typedef enum
{
  /* The chunk is used up and the value is not complete: push the next. */
  OSI_JSON_TOKEN_NEED_MORE,
  /* Sticky: osi_json_tokenizer_get_error () says what and where. */
  OSI_JSON_TOKEN_ERROR,
  /* The top-level value is complete and the chunk was only whitespace
   * after it; returned again for each later chunk of whitespace. */
  OSI_JSON_TOKEN_END,
  OSI_JSON_TOKEN_BEGIN_OBJECT,
  OSI_JSON_TOKEN_END_OBJECT,
  OSI_JSON_TOKEN_BEGIN_ARRAY,
  OSI_JSON_TOKEN_END_ARRAY,
  /* Decoded parts of a member name or a string value, in order; the last
   * has span.last set (a string has at least one part, maybe empty). */
  OSI_JSON_TOKEN_KEY_PART,
  OSI_JSON_TOKEN_STRING_PART,
  /* The text of a number, checked against the grammar. */
  OSI_JSON_TOKEN_NUMBER,
  OSI_JSON_TOKEN_TRUE,
  OSI_JSON_TOKEN_FALSE,
  OSI_JSON_TOKEN_NULL,
} OsiJsonToken;

/* What is wrong, for callers to put in their own words (or in those of
 * osi_json_tokenizer_describe_error ()). */
typedef enum
{
  OSI_JSON_ERROR_NONE,
  OSI_JSON_ERROR_EMPTY,                    /* no byte at all */
  OSI_JSON_ERROR_BYTE_ORDER_MARK,          /* a UTF-8 BOM at byte 0 */
  OSI_JSON_ERROR_EXPECTED_VALUE,
  OSI_JSON_ERROR_EXPECTED_KEY,
  OSI_JSON_ERROR_EXPECTED_COLON,
  OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET, /* in an array */
  OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACE,  /* in an object */
  OSI_JSON_ERROR_TRAILING_DATA,
  OSI_JSON_ERROR_CONTROL_CHARACTER,        /* unescaped, in a string */
  OSI_JSON_ERROR_INVALID_UTF8,
  OSI_JSON_ERROR_INVALID_ESCAPE,
  OSI_JSON_ERROR_INVALID_HEX_DIGIT,        /* in a \u escape */
  OSI_JSON_ERROR_NUL_ESCAPE,               /* OSI_JSON_TOKENIZER_REFUSE_NUL */
  OSI_JSON_ERROR_LONE_SURROGATE,           /* OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES */
  OSI_JSON_ERROR_INVALID_NUMBER,
  OSI_JSON_ERROR_LEADING_ZERO,
  OSI_JSON_ERROR_INVALID_LITERAL,
  OSI_JSON_ERROR_TOO_DEEP,
  OSI_JSON_ERROR_UNTERMINATED_STRING,      /* the stream ended in a string */
  OSI_JSON_ERROR_TRUNCATED,                /* the stream ended elsewhere */
} OsiJsonError;

typedef enum
{
  /* \u0000 decodes to a NUL byte; a \u escape of a lone surrogate (a high
   * one not followed by a low one, or a low one alone) decodes to U+FFFD,
   * as the knowledge-base validator always did. */
  OSI_JSON_TOKENIZER_DEFAULT                = 0,
  /* For text kept in C strings: \u0000 is an error. */
  OSI_JSON_TOKENIZER_REFUSE_NUL             = 1 << 0,
  /* Lone surrogate escapes are errors, as for json-glib. */
  OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES = 1 << 1,
} OsiJsonTokenizerFlags;

/* Longest number text a NUMBER token carries; a longer number is still
 * read and checked, but comes with span.data NULL (span.len its length). */
#define OSI_JSON_NUMBER_MAX 512

typedef struct
{
  /* KEY_PART, STRING_PART: decoded bytes. A part holds no escape: a run of
   * the input as it is (no copy) or text decoded into the tokenizer. The
   * concatenation of a string's parts is valid UTF-8, but one part may end
   * inside a character. NUMBER: the text, or NULL when longer than
   * OSI_JSON_NUMBER_MAX. Valid until the next call or until the caller
   * drops the chunk, whichever comes first. */
  const guint8 *data;
  gsize         len;
  /* KEY_PART, STRING_PART: this part ends the string. */
  gboolean      last;
} OsiJsonSpan;

/* Embedded by the caller; the members are private. */
typedef struct
{
  guint64       offset;          /* bytes consumed */
  guint64       error_offset;
  guint64       escape_offset;   /* the backslash of the escape being read */
  guint64       pending_offset;  /* the backslash of pending_high's escape */
  guint64       number_len;      /* the number's bytes before this chunk */
  const char   *literal;
  guint         depth;
  guint         max_depth;
  guint         buf_len;
  guint         literal_pos;
  gunichar      unicode;
  gunichar      pending_high;
  /* guint rather than guint8 where the hot paths store: a store through a
   * character type may alias anything and costs reloads. */
  guint         state;
  guint         error;
  guint         flags;
  guint         num_state;
  guint         in_key;
  guint         finished;
  guint         skipping;
  guint         skip_depth;
  guint8        u8_need;
  guint8        u8_lo;
  guint8        u8_hi;
  guint8        unicode_digits;
  guint32       is_array[OSI_JSON_MAX_DEPTH / 32];
  guint8        buf[OSI_JSON_NUMBER_MAX];
} OsiJsonTokenizer;

/* max_depth: how many arrays and objects may be open at once, at most
 * OSI_JSON_MAX_DEPTH; one more is OSI_JSON_ERROR_TOO_DEEP. There is
 * nothing to free. */
void          osi_json_tokenizer_init           (OsiJsonTokenizer       *self,
                                                 guint                   max_depth,
                                                 OsiJsonTokenizerFlags   flags);

/* The next token from the bytes at *p (up to end), moving *p past what it
 * used; span is filled for KEY_PART, STRING_PART and NUMBER only. A
 * number is only known to end at the next byte: at the end of a chunk it
 * waits for the next chunk, or for finish. */
OsiJsonToken  osi_json_tokenizer_next           (OsiJsonTokenizer       *self,
                                                 const guint8          **p,
                                                 const guint8           *end,
                                                 OsiJsonSpan            *span);

/* Right after BEGIN_OBJECT or BEGIN_ARRAY, or a KEY_PART or STRING_PART
 * that is not the last: the rest of that container or string is read and
 * checked but not returned; the next token is the one after it. A no-op
 * after any other token. Skipping is faster than pulling: strings are
 * scanned without being decoded. */
void          osi_json_tokenizer_skip           (OsiJsonTokenizer       *self);

/* No byte will come after the end of the chunk now being read (call it
 * before pulling from the last chunk, or pull again with an empty one). */
void          osi_json_tokenizer_finish         (OsiJsonTokenizer       *self);

/* What went wrong (OSI_JSON_ERROR_NONE before an ERROR), and at which
 * byte of the stream: the byte that does not fit, or the length of the
 * stream when it ended too early. */
OsiJsonError  osi_json_tokenizer_get_error      (const OsiJsonTokenizer *self,
                                                 guint64                *offset);

/* The error as a translated phrase, e.g. "expected “:”". */
char         *osi_json_tokenizer_describe_error (const OsiJsonTokenizer *self);

/* Bytes consumed since init. */
guint64       osi_json_tokenizer_get_offset     (const OsiJsonTokenizer *self);

/* Arrays and objects open now. */
guint         osi_json_tokenizer_get_depth      (const OsiJsonTokenizer *self);

G_END_DECLS
