/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>

#include "osi-server-private.h"

/* What the server records in the catalog of each backup (docs/api.md
 * §6.2): as it works, how the backup came to be and its latest
 * verification, a failure to record being logged, never an operation's
 * failure (the backup is there either way); and, on request (PATCH), its
 * protection and note. */

void
_osi_server_record_kind (OsiServer      *self,
                         const char     *name,
                         OsiCatalogKind  kind)
{
  g_autoptr(GError) error = NULL;

  if (!osi_backup_folder_set_kind (self->folder, name, kind, &error))
    g_message ("Cannot record in the backup catalog that %s is a %s backup: %s", name,
               osi_catalog_kind_to_string (kind), error->message);
  /* Every new backup passes here: its off-site copy is queued
   * (docs/api.md §7.2). A fetched one records its kind elsewhere. */
  if (self->offsite != NULL)
    osi_offsite_enqueue (self->offsite, name, kind);
}

OsiCatalogVerdict
_osi_server_catalog_verdict (OsiVerifyReport *report)
{
  switch (osi_verify_report_get_verdict (report))
    {
    case OSI_VERDICT_RESTORABLE:
      return OSI_CATALOG_VERDICT_RESTORABLE;
    case OSI_VERDICT_UNPROVEN:
      return OSI_CATALOG_VERDICT_UNPROVEN;
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      return OSI_CATALOG_VERDICT_NOT_RESTORABLE;
    }
}

/* The verdict of the file open on fd, recorded for name while name is
 * still that file: a backup deleted or replaced during its verification
 * gets no verdict that is not its own. */
void
_osi_server_record_verdict (OsiServer       *self,
                            const char      *name,
                            int              fd,
                            OsiVerifyReport *report)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);
  g_autoptr(GError) error = NULL;
  struct stat verified, current;

  if (fstat (fd, &verified) < 0 ||
      fstatat (osi_backup_folder_get_fd (self->folder), name, &current, AT_SYMLINK_NOFOLLOW) < 0 ||
      verified.st_dev != current.st_dev || verified.st_ino != current.st_ino)
    return;
  if (!osi_backup_folder_set_verification (self->folder, name, _osi_server_catalog_verdict (report),
                                           g_date_time_to_unix (now), &error))
    g_message ("Cannot record the verification of %s in the backup catalog: %s", name, error->message);
}

/* ------------------------------------------------------------------------ */
/* PATCH /api/rag/backup?filename=NAME                                      */

typedef struct
{
  gboolean    set_protected;
  gboolean    is_protected;
  gboolean    set_note;
  const char *note;      /* "" removes it */
} Patch;

/* Reads the body into patch (its strings are the tree's), or answers 400
 * itself. Either member, nothing else, each of its type. */
static gboolean
read_patch (SoupServerMessage *msg,
            JsonNode          *root,
            Patch             *patch)
{
  g_autoptr(GError) error = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) || json_object_get_size (json_node_get_object (root)) == 0)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                                 _("The request body must be a JSON object with “protected” (true or false), "
                                   "“note” (text), or both."));
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &member, &node))
    {
      gboolean is_value = JSON_NODE_HOLDS_VALUE (node);

      if (strcmp (member, "protected") == 0)
        {
          if (!is_value || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
            {
              _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", _("“protected” must be true or false."));
              return FALSE;
            }
          patch->set_protected = TRUE;
          patch->is_protected = json_node_get_boolean (node);
        }
      else if (strcmp (member, "note") == 0)
        {
          if (!is_value || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                                         _("“note” must be text; an empty text removes the note."));
              return FALSE;
            }
          patch->set_note = TRUE;
          patch->note = json_node_get_string (node);
        }
      else
        {
          _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST,
                                     _("“%s” cannot be changed: only “protected” and “note” can."), member);
          return FALSE;
        }
    }
  if (patch->set_note && !osi_catalog_note_is_valid (patch->note, &error))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

void
_osi_server_handle_patch (OsiServer         *self,
                          SoupServerMessage *msg,
                          const char        *name)
{
  g_autoptr(JsonNode) root = _osi_server_request_json (msg);
  g_autoptr(JsonNode) entry = NULL;
  g_autoptr(GError) error = NULL;
  Patch patch = { 0 };
  struct stat st;

  if (!read_patch (msg, root, &patch))
    return;
  if (!osi_backup_folder_exists (self->folder, name, &st))
    {
      _osi_server_respond_unknown (msg, name);
      return;
    }

  if ((patch.set_protected && !osi_backup_folder_set_protected (self->folder, name, patch.is_protected, &error)) ||
      (patch.set_note && !osi_backup_folder_set_note (self->folder, name, patch.note, &error)))
    {
      g_message ("Cannot change %s: %s", name, error->message);
      _osi_server_respond_task_error (msg, error);
      return;
    }
  if (patch.set_protected && self->offsite != NULL)
    osi_offsite_set_protected (self->offsite, name, patch.is_protected);
  if (patch.set_protected)
    g_message ("%s %s", patch.is_protected ? "Protected" : "Unprotected", name);
  if (patch.set_note)
    g_message ("%s the note of %s", patch.note[0] != '\0' ? "Set" : "Removed", name);

  entry = osi_backup_folder_entry_to_json (self->folder, name);
  if (entry == NULL)
    {
      _osi_server_respond_unknown (msg, name);
      return;
    }
  _osi_server_respond_json (msg, SOUP_STATUS_OK, json_node_get_object (entry));
}
