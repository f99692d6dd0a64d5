/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The search grammar of the backup list.
 *
 *   query  := blank* (term (blank+ term)*)? blank*
 *
 * Blanks are Unicode white space. A NULL or blank query is empty and matches
 * every backup. Otherwise a backup matches when EVERY term matches, and a term
 * matches when ANY of these holds:
 *
 *   (a) name:  the folded term is a substring of the folded backup name.
 *              Folding is Unicode case folding plus removal of accents
 *              (NFD, then U+0300–U+036F dropped): "ÉTÉ" finds "été_2026".
 *              Every term is tried as a name fragment, date-like or not.
 *
 *   (b) date:  compared with the backup date in LOCAL time, field by field,
 *              numerically (so "6/11" finds 06/11). Fields are ASCII digits;
 *              a day or month has 1–2 digits.
 *                D/M/Y     day, month and year  "26/11/2026"  (Y: 1–4 digits)
 *                D/M  D/M/ day and month        "26/11"  "6/11/"
 *                M/YYYY    month and year       "11/2026"    (4-digit year)
 *                D/        day                  "26/"
 *                YYYY      year                 "2026"       (exactly 4 digits)
 *              A 2-field term is month/year when its second field has four
 *              digits, day/month otherwise.
 *
 *   (c) time:  compared with the LOCAL hour and minute, numerically.
 *                H:MM  HH:MM   hour and minute  "9:05"  "14:05"
 *                H:  HH:       hour             "14:"
 *
 * Anything else ("26", "14:5", "/11", "1/2/3/4") is only a name fragment.
 *
 * Everything is parsed once in osi_search_query_new(); matching compares
 * integers and runs strstr() on the name folded once per backup, so it does
 * not allocate (after the first call per backup, which folds its name).
 */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include "osi-backup-info-private.h"
#include "osi-search.h"

typedef enum
{
  DATE_NONE,
  DATE_DAY,
  DATE_DAY_MONTH,
  DATE_MONTH_YEAR,
  DATE_DAY_MONTH_YEAR,
  DATE_YEAR,
} DateKind;

typedef struct
{
  char     *folded;

  DateKind  date_kind;
  gint      day;
  gint      month;
  gint      year;

  gboolean  is_time;
  gint      hour;
  gint      minute;     /* -1: any minute */
} SearchTerm;

struct _OsiSearchQuery
{
  SearchTerm *terms;
  guint       n_terms;
};

#define MAX_DATE_FIELDS 3

/* Reads a run of ASCII digits. Returns how many there were, or 0 when
 * there were none or more than max_digits (so the value cannot overflow). */
static guint
read_number (const char **p,
             guint        max_digits,
             gint        *value)
{
  guint n_digits = 0;

  *value = 0;
  while (g_ascii_isdigit (**p))
    {
      if (++n_digits > max_digits)
        return 0;
      *value = *value * 10 + (**p - '0');
      (*p)++;
    }

  return n_digits;
}

static gboolean
parse_time (const char *text,
            SearchTerm *term)
{
  const char *p = text;
  guint n_digits;

  if (read_number (&p, 2, &term->hour) == 0 || *p != ':')
    return FALSE;
  p++;

  if (*p == '\0')
    {
      term->minute = -1;
      return TRUE;
    }

  n_digits = read_number (&p, 2, &term->minute);

  return n_digits == 2 && *p == '\0';
}

static gboolean
parse_date (const char *text,
            SearchTerm *term)
{
  gint values[MAX_DATE_FIELDS];
  guint digits[MAX_DATE_FIELDS];
  const char *p = text;
  gboolean trailing_slash = FALSE;
  guint n_fields = 0;

  for (;;)
    {
      if (n_fields == MAX_DATE_FIELDS)
        return FALSE;

      digits[n_fields] = read_number (&p, 4, &values[n_fields]);
      if (digits[n_fields] == 0)
        return FALSE;
      n_fields++;

      if (*p == '\0')
        break;
      if (*p != '/')
        return FALSE;
      p++;
      if (*p == '\0')
        {
          trailing_slash = TRUE;
          break;
        }
    }

  switch (n_fields)
    {
    case 1:
      if (!trailing_slash)
        {
          if (digits[0] != 4)
            return FALSE;
          term->date_kind = DATE_YEAR;
          term->year = values[0];
          return TRUE;
        }
      if (digits[0] > 2)
        return FALSE;
      term->date_kind = DATE_DAY;
      term->day = values[0];
      return TRUE;

    case 2:
      if (digits[0] > 2)
        return FALSE;
      if (digits[1] == 4)
        {
          if (trailing_slash)
            return FALSE;
          term->date_kind = DATE_MONTH_YEAR;
          term->month = values[0];
          term->year = values[1];
          return TRUE;
        }
      if (digits[1] > 2)
        return FALSE;
      term->date_kind = DATE_DAY_MONTH;
      term->day = values[0];
      term->month = values[1];
      return TRUE;

    case 3:
      if (trailing_slash || digits[0] > 2 || digits[1] > 2)
        return FALSE;
      term->date_kind = DATE_DAY_MONTH_YEAR;
      term->day = values[0];
      term->month = values[1];
      term->year = values[2];
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  return FALSE;
}

static void
search_term_init (SearchTerm *term,
                  const char *text)
{
  g_assert (text != NULL && *text != '\0');

  memset (term, 0, sizeof *term);

  term->folded = osi_search_fold (text);
  /* parse_date() sets date_kind only on success; memset() left DATE_NONE. */
  (void) parse_date (text, term);
  term->is_time = parse_time (text, term);
}

static gboolean
search_term_matches_date (const SearchTerm   *term,
                          const OsiLocalDate *date)
{
  if (term->is_time)
    return term->hour == date->hour
           && (term->minute < 0 || term->minute == date->minute);

  switch (term->date_kind)
    {
    case DATE_NONE:
      return FALSE;

    case DATE_DAY:
      return term->day == date->day;

    case DATE_DAY_MONTH:
      return term->day == date->day && term->month == date->month;

    case DATE_MONTH_YEAR:
      return term->month == date->month && term->year == date->year;

    case DATE_DAY_MONTH_YEAR:
      return term->day == date->day
             && term->month == date->month
             && term->year == date->year;

    case DATE_YEAR:
      return term->year == date->year;

    default:
      g_assert_not_reached ();
    }

  return FALSE;
}

GStrv
osi_search_split_terms (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *valid = NULL;
  const char *p;

  if (text == NULL)
    return g_strv_builder_end (builder);

  valid = g_utf8_make_valid (text, -1);
  p = valid;
  while (*p != '\0')
    {
      const char *start;
      g_autofree char *term = NULL;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (*p == '\0')
        break;

      start = p;
      while (*p != '\0' && !g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      term = g_strndup (start, (gsize)(p - start));
      g_strv_builder_add (builder, term);
    }
  return g_strv_builder_end (builder);
}

OsiSearchQuery *
osi_search_query_new (const char *text)
{
  g_auto(GStrv) words = osi_search_split_terms (text);
  g_autoptr(GArray) terms = g_array_new (FALSE, FALSE, sizeof (SearchTerm));
  OsiSearchQuery *query;

  for (guint i = 0; words[i] != NULL; i++)
    {
      SearchTerm term;

      search_term_init (&term, words[i]);
      g_array_append_val (terms, term);
    }

  query = g_new0 (OsiSearchQuery, 1);
  query->n_terms = terms->len;
  query->terms = (SearchTerm *) (void *) g_array_free (g_steal_pointer (&terms), FALSE);

  return query;
}

void
osi_search_query_free (OsiSearchQuery *query)
{
  if (query == NULL)
    return;

  for (guint i = 0; i < query->n_terms; i++)
    g_free (query->terms[i].folded);
  g_free (query->terms);
  g_free (query);
}

gboolean
osi_search_query_is_empty (const OsiSearchQuery *query)
{
  g_return_val_if_fail (query != NULL, TRUE);

  return query->n_terms == 0;
}

gboolean
osi_search_query_matches (const OsiSearchQuery *query,
                          OsiBackupInfo        *info)
{
  const OsiLocalDate *date;
  const char *folded_name = NULL;

  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (info), FALSE);

  if (query->n_terms == 0)
    return TRUE;

  date = _osi_backup_info_get_local_date (info);

  for (guint i = 0; i < query->n_terms; i++)
    {
      const SearchTerm *term = &query->terms[i];

      if (search_term_matches_date (term, date))
        continue;

      if (folded_name == NULL)
        folded_name = osi_backup_info_get_folded_name (info);

      if (strstr (folded_name, term->folded) == NULL)
        return FALSE;
    }

  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The index                                                                */

static gboolean is_ascii (const char *text);

struct _OsiSearchIndex
{
  guint         n_items;
  OsiLocalDate *dates;
  /* The folded names, each followed by '\0', back to back; offsets[i] is
   * where item i's name begins and offsets[n_items] the buffer's length.
   * A term never holds '\0', so a hit never spans two names. */
  char         *names;
  guint32      *offsets;
};

OsiSearchIndex *
osi_search_index_new (OsiBackupInfo * const *items,
                      guint                 n_items)
{
  OsiSearchIndex *index;
  g_autoptr(GByteArray) names = g_byte_array_new ();

  g_return_val_if_fail (items != NULL || n_items == 0, NULL);

  index = g_new0 (OsiSearchIndex, 1);
  index->n_items = n_items;
  index->dates = g_new (OsiLocalDate, MAX (n_items, 1));
  index->offsets = g_new (guint32, n_items + 1);
  for (guint i = 0; i < n_items; i++)
    {
      const char *name = osi_backup_info_get_name (items[i]);
      gsize len = strlen (name);

      index->dates[i] = *_osi_backup_info_get_local_date (items[i]);
      index->offsets[i] = names->len;
      /* Names are short; a list whose names pass 4 GiB is not a list. */
      g_assert (names->len < G_MAXUINT32 - 4 * len - 1);
      /* Folded here rather than through the item's cached copy, which
       * would keep a second folded name per backup (5 MB for 100,000). */
      if (is_ascii (name))
        {
          guint start = names->len;

          g_byte_array_set_size (names, start + len + 1);
          for (gsize c = 0; c <= len; c++)
            names->data[start + c] = (guint8)g_ascii_tolower (name[c]);
        }
      else
        {
          g_autofree char *folded = osi_search_fold (name);

          g_byte_array_append (names, (const guint8 *)folded, strlen (folded) + 1);
        }
    }
  index->offsets[n_items] = names->len;
  index->names = (char *)g_byte_array_free (g_steal_pointer (&names), FALSE);

  return index;
}

void
osi_search_index_free (OsiSearchIndex *index)
{
  if (index == NULL)
    return;

  g_free (index->dates);
  g_free (index->names);
  g_free (index->offsets);
  g_free (index);
}

guint
osi_search_index_get_n_items (const OsiSearchIndex *index)
{
  g_return_val_if_fail (index != NULL, 0);

  return index->n_items;
}

/* Marks in hits the items whose folded name holds the term: one memmem ()
 * over the whole buffer, skipping to the next name after each hit. */
static void
index_mark_names (const OsiSearchIndex *index,
                  const SearchTerm     *term,
                  guint8               *hits)
{
  gsize needle_len = strlen (term->folded);
  const char *end = index->names + index->offsets[index->n_items];
  const char *p = index->names;
  guint item = 0;

  while (p < end)
    {
      const char *found = memmem (p, (gsize)(end - p), term->folded, needle_len);
      guint32 offset;

      if (found == NULL)
        break;
      offset = (guint32)(found - index->names);
      /* Hits come in order: walk forward to the name holding this one. */
      while (index->offsets[item + 1] <= offset)
        item++;
      hits[item] = 1;
      p = index->names + index->offsets[item + 1];
    }
}

void
osi_search_index_filter (const OsiSearchIndex *index,
                         const OsiSearchQuery *query,
                         GArray               *positions)
{
  g_autofree guint8 *matches = NULL;
  g_autofree guint8 *hits = NULL;

  g_return_if_fail (index != NULL);
  g_return_if_fail (query != NULL);
  g_return_if_fail (positions != NULL);

  if (query->n_terms == 0)
    {
      for (guint i = 0; i < index->n_items; i++)
        g_array_append_val (positions, i);
      return;
    }

  /* Every term must match: AND the terms' hits, each an OR of the date
   * and the name, as osi_search_query_matches () does item by item. */
  matches = g_malloc (MAX (index->n_items, 1));
  memset (matches, 1, index->n_items);
  hits = g_malloc (MAX (index->n_items, 1));
  for (guint t = 0; t < query->n_terms; t++)
    {
      const SearchTerm *term = &query->terms[t];

      if (term->is_time || term->date_kind != DATE_NONE)
        for (guint i = 0; i < index->n_items; i++)
          hits[i] = search_term_matches_date (term, &index->dates[i]);
      else
        memset (hits, 0, index->n_items);
      index_mark_names (index, term, hits);
      for (guint i = 0; i < index->n_items; i++)
        matches[i] &= hits[i];
    }

  for (guint i = 0; i < index->n_items; i++)
    if (matches[i])
      g_array_append_val (positions, i);
}

static gboolean
is_ascii (const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p >= 0x80)
        return FALSE;
    }

  return TRUE;
}

char *
osi_search_fold (const char *text)
{
  g_autofree char *valid = NULL;
  g_autofree char *folded = NULL;
  char *decomposed;
  const guchar *in;
  guchar *out;

  g_return_val_if_fail (text != NULL, NULL);

  /* Most backup names are ASCII, where case folding is just lowercasing;
   * this keeps folding 100,000 names cheap. */
  if (is_ascii (text))
    return g_ascii_strdown (text, -1);

  valid = g_utf8_make_valid (text, -1);
  folded = g_utf8_casefold (valid, -1);
  decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFD);
  g_assert (decomposed != NULL);

  /* Drop the combining diacritical marks U+0300–U+036F in place: in UTF-8
   * they are 0xCC 0x80–0xBF and 0xCD 0x80–0xAF, and removing whole
   * characters keeps the string valid. */
  in = (const guchar *) decomposed;
  out = (guchar *) decomposed;
  while (*in != '\0')
    {
      gsize len = g_utf8_skip[*in];

      if (in[0] == 0xCC || (in[0] == 0xCD && in[1] <= 0xAF))
        {
          in += len;
          continue;
        }

      memmove (out, in, len);
      out += len;
      in += len;
    }
  *out = '\0';

  return decomposed;
}

char *
osi_format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (date != NULL, NULL);

  local = g_date_time_to_local (date);

  return g_date_time_format (local, "%d/%m/%Y %H:%M");
}

char *
osi_format_untrusted (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("?");
  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02X", c);
      else if (c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
               c == 0x200E || c == 0x200F)
        g_string_append_printf (out, "\\u%04X", c);
      else if (c == '\\')
        g_string_append (out, "\\\\");
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}
