/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-badges.h"
#include "osi-search.h"

const char *
osi_backup_kind_text (const char *kind)
{
  if (g_strcmp0 (kind, "scheduled") == 0)
    return C_("backup kind", "Scheduled");
  if (g_strcmp0 (kind, "safety") == 0)
    return C_("backup kind", "Safety");
  if (g_strcmp0 (kind, "upload") == 0)
    return C_("backup kind", "Uploaded");
  if (g_strcmp0 (kind, "manual") == 0)
    return C_("backup kind", "Manual");
  return NULL;
}

const char *
osi_backup_verdict_word (const char *verdict)
{
  if (g_strcmp0 (verdict, "restorable") == 0)
    return _("Verified");
  if (g_strcmp0 (verdict, "not-restorable") == 0)
    return _("Verification failed");
  if (g_strcmp0 (verdict, "unproven") == 0)
    return _("Integrity not proven");
  return NULL;
}

char *
osi_backup_dup_verification_text (OsiBackupInfo *info)
{
  const char *verdict;
  GDateTime *at;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (info), NULL);

  verdict = osi_backup_info_get_verdict (info);
  at = osi_backup_info_get_verified_at (info);
  if (g_strcmp0 (verdict, "restorable") == 0 && at != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (at);
      g_autofree char *day = g_date_time_format (local, "%d/%m/%Y");

      /* TRANSLATORS: the latest verification of a backup; %s is a date
       * such as 03/12/2026 */
      return g_strdup_printf (_("Verified on %s"), day);
    }
  return g_strdup (osi_backup_verdict_word (verdict));
}

const char *
osi_backup_protected_text (void)
{
  return _("Protected");
}

char *
osi_backup_dup_search_tags (OsiBackupInfo *info)
{
  const char *words[4];
  guint n = 0;
  g_autofree char *joined = NULL;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (info), NULL);

  if (osi_backup_info_get_kind (info) != NULL)
    words[n++] = osi_backup_kind_text (osi_backup_info_get_kind (info));
  if (osi_backup_info_get_verdict (info) != NULL)
    words[n++] = osi_backup_verdict_word (osi_backup_info_get_verdict (info));
  if (osi_backup_info_get_protected (info))
    words[n++] = osi_backup_protected_text ();
  if (osi_backup_info_get_note (info) != NULL && *osi_backup_info_get_note (info) != '\0')
    words[n++] = osi_backup_info_get_note (info);
  if (n == 0)
    return NULL;
  /* An unknown kind or verdict has no words. */
  for (guint i = 0; i < n; i++)
    if (words[i] == NULL)
      words[i] = "";
  {
    const char *strv[5] = { NULL };

    for (guint i = 0; i < n; i++)
      strv[i] = words[i];
    joined = g_strjoinv (" ", (char **)strv);
  }
  return osi_search_fold (joined);
}
