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
osi_backup_dup_offsite_text (OsiBackupInfo *info,
                             gint64         copied,
                             gint64         size)
{
  const char *state;
  const char *detail;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (info), NULL);

  state = osi_backup_info_get_offsite_state (info);
  detail = osi_backup_info_get_offsite_detail (info);
  if (g_strcmp0 (state, "pending") == 0)
    return g_strdup (_("Off-site copy waiting"));
  if (g_strcmp0 (state, "copying") == 0)
    {
      /* The storage may hold more than the size a list said, for a
       * moment: a copy under way never reads 100 %. */
      if (copied >= 0 && size > 0)
        /* TRANSLATORS: the share of a backup its off-site copy holds so
         * far; %d is a number from 0 to 99, %% the percent sign */
        return g_strdup_printf (_("Off-site copy under way: %d %%"),
                                (int)MIN (99, copied * 100 / size));
      return g_strdup (_("Off-site copy under way"));
    }
  if (g_strcmp0 (state, "done") == 0)
    {
      GDateTime *at = osi_backup_info_get_offsite_at (info);
      g_autoptr(GDateTime) local = NULL;
      g_autofree char *day = NULL;
      g_autofree char *time = NULL;

      if (at == NULL)
        return g_strdup (_("Copied off-site"));
      local = g_date_time_to_local (at);
      day = g_date_time_format (local, "%d/%m/%Y");
      time = g_date_time_format (local, "%H:%M");
      /* TRANSLATORS: when a backup's off-site copy was checked; the date
       * such as 03/12/2026, then the time such as 14:30 */
      return g_strdup_printf (_("Copied off-site on %s at %s"), day, time);
    }
  if (g_strcmp0 (state, "failed") == 0)
    {
      if (detail == NULL || *detail == '\0')
        return g_strdup (_("Off-site copy failed"));
      /* TRANSLATORS: %s is what went wrong and what to do, from the
       * server */
      return g_strdup_printf (_("Off-site copy failed: %s"), detail);
    }
  return NULL;
}

const char *
osi_backup_offsite_icon (OsiBackupInfo *info)
{
  const char *state;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (info), NULL);

  state = osi_backup_info_get_offsite_state (info);
  if (g_strcmp0 (state, "pending") == 0)
    return "document-open-recent-symbolic";
  if (g_strcmp0 (state, "copying") == 0)
    return "emblem-synchronizing-symbolic";
  if (g_strcmp0 (state, "done") == 0)
    return "folder-remote-symbolic";
  if (g_strcmp0 (state, "failed") == 0)
    return "dialog-warning-symbolic";
  return NULL;
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
