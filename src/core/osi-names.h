/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/* The contract's words for an enumeration are tables indexed by value
 * (the schedule's "every", the verification's, the catalog's kinds,
 * verdicts and runs): this finds text's index in one, NULL entries
 * skipped. FALSE when text is NULL or not there. */
static inline gboolean
osi_name_lookup (const char * const *names,
                 guint               n_names,
                 const char         *text,
                 int                *value)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    if (names[i] != NULL && strcmp (names[i], text) == 0)
      {
        *value = (int) i;
        return TRUE;
      }
  return FALSE;
}

G_END_DECLS
