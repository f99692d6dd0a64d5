/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"
#include "osi-json.h"

/* What a failure says (docs/api.md §2.4, §4, §5.3): one translated
 * sentence saying what to do, then the server's or the system's detail. */

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* Text from the server or the file system, made safe to show in a
 * terminal or a label: valid UTF-8, no control characters, bounded. */
char *
_osi_client_printable (const char *text,
                       gssize      len,
                       guint       max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (text, len);
  GString *out = g_string_new (NULL);
  guint count = 0;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (count == max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      /* Controls, line separators and bidirectional overrides, which
       * would reorder what follows them on screen. */
      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
          (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F)
        c = ' ';
      g_string_append_unichar (out, c);
      count++;
    }
  return g_strstrip (g_string_free (out, FALSE));
}

GError *
_osi_client_with_detail (OsiClientError  code,
                         const char     *sentence,
                         const char     *detail,
                         gboolean        from_server)
{
  if (detail == NULL || detail[0] == '\0')
    return g_error_new_literal (OSI_CLIENT_ERROR, code, sentence);
  if (from_server)
    /* TRANSLATORS: the first %s is a sentence saying what to do, the
     * second the message the server sent. */
    return g_error_new (OSI_CLIENT_ERROR, code, _("%s (server: %s)"), sentence, detail);
  return g_error_new (OSI_CLIENT_ERROR, code, "%s (%s)", sentence, detail);
}

static char *
connection_sentence (OsiClient *self)
{
  return g_strdup_printf (_("Cannot reach the backend server at %s. Check the connection to the backend "
                            "server (address, network, that the server is running)."),
                          self->base_url);
}

GError *
_osi_client_connection_error (OsiClient  *self,
                              const char *detail)
{
  g_autofree char *sentence = connection_sentence (self);

  return _osi_client_with_detail (OSI_CLIENT_ERROR_CONNECTION, sentence, detail, FALSE);
}

static char *
describe_tls_errors (GTlsCertificateFlags flags)
{
  GString *out = g_string_new (NULL);
  static const struct { GTlsCertificateFlags flag; const char *text; } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("signed by an unknown certificate authority") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("made out to another host name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("not valid yet") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("expired") },
    { G_TLS_CERTIFICATE_REVOKED, N_("revoked") },
    { G_TLS_CERTIFICATE_INSECURE, N_("made with an insecure algorithm") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("invalid") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      {
        if (out->len > 0)
          g_string_append (out, ", ");
        g_string_append (out, _(reasons[i].text));
      }
  return g_string_free (out, FALSE);
}

static GError *
tls_error (OsiClient            *self,
           GTlsCertificateFlags  flags,
           const GError         *cause)
{
  g_autofree char *sentence = NULL;

  if (g_error_matches (cause, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    {
      sentence = g_strdup_printf (_("The server at %s does not answer in HTTPS: check whether its address "
                                    "should begin with http:// instead of https://."),
                                  self->base_url);
      return g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS, sentence);
    }
  if (flags != 0)
    {
      g_autofree char *reasons = describe_tls_errors (flags);

      sentence = g_strdup_printf (_("The server's certificate is not trusted (%s). If the server uses its own "
                                    "certificate authority, add its CA file to this server profile."),
                                  reasons);
      return g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS, sentence);
    }
  sentence = g_strdup_printf (_("The secure connection to %s failed: check the server's certificate; if "
                                "the server uses its own certificate authority, add its CA file to this "
                                "server profile."),
                              self->base_url);
  return _osi_client_with_detail (OSI_CLIENT_ERROR_TLS, sentence, cause != NULL ? cause->message : NULL, FALSE);
}

GError *
_osi_client_protocol_error (OsiClient  *self,
                            const char *detail)
{
  g_autofree char *sentence = NULL;

  sentence = g_strdup_printf (_("The server at %s answered in a way this application does not "
                                "understand: check that the address is the one of an OSI backend."),
                              self->base_url);
  return _osi_client_with_detail (OSI_CLIENT_ERROR_PROTOCOL, sentence, detail, FALSE);
}

/* A failure of libsoup or of the network, as the caller should see it. */
GError *
_osi_client_transport_error (GTask  *task,
                             GError *error)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) owned = error;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (call->timed_out)
        {
          g_autofree char *detail = g_strdup_printf (_("no answer for %u seconds"), call->idle_timeout_s);

          return _osi_client_connection_error (self, detail);
        }
      return g_steal_pointer (&owned);
    }
  if (error->domain == G_TLS_ERROR || call->tls_errors != 0)
    return tls_error (self, call->tls_errors, error);
  if (error->domain == SOUP_SESSION_ERROR)
    return _osi_client_protocol_error (self, error->message);
  /* Refused, unreachable, timed out, reset, name resolution, proxy… */
  return _osi_client_connection_error (self, error->message);
}

/* A string member, or NULL whatever else the server sent there. */
const char *
_osi_client_member_string (JsonObject *object,
                           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The answer's body as JSON, or NULL when it is none. */
JsonNode *
_osi_client_body_json (Call *call)
{
  if (call->data == NULL || call->data->len == 0)
    return NULL;
  return osi_json_parse ((const char *)call->data->data, call->data->len, NULL);
}

/* One item of FastAPI's validation list: "body.backupFile: field required". */
static void
append_validation_item (GString  *joined,
                        JsonNode *item)
{
  JsonObject *object;
  JsonNode *loc;
  const char *msg;

  if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
    msg = json_node_get_string (item);
  else if (JSON_NODE_HOLDS_OBJECT (item))
    msg = _osi_client_member_string (json_node_get_object (item), "msg");
  else
    return;
  if (msg == NULL)
    return;
  if (joined->len > 0)
    g_string_append (joined, "; ");
  object = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
  loc = object != NULL ? json_object_get_member (object, "loc") : NULL;
  if (loc != NULL && JSON_NODE_HOLDS_ARRAY (loc))
    {
      JsonArray *parts = json_node_get_array (loc);
      guint before = joined->len;

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonNode *part = json_array_get_element (parts, i);

          if (!JSON_NODE_HOLDS_VALUE (part))
            continue;
          if (joined->len > before)
            g_string_append_c (joined, '.');
          if (json_node_get_value_type (part) == G_TYPE_STRING)
            g_string_append (joined, json_node_get_string (part));
          else if (json_node_get_value_type (part) == G_TYPE_INT64)
            g_string_append_printf (joined, "%" G_GINT64_FORMAT, json_node_get_int (part));
        }
      if (joined->len > before)
        g_string_append (joined, ": ");
    }
  g_string_append (joined, msg);
}

/* What an error answer says (docs/api.md §5.3): its "detail" (a string, or
 * FastAPI's list of {"loc", "msg"}), else its "error", else its
 * "message". */
static char *
extract_detail (JsonNode *root)
{
  static const char * const members[] = { "detail", "error", "message" };
  JsonObject *object;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);

  for (guint m = 0; m < G_N_ELEMENTS (members); m++)
    {
      JsonNode *node = json_object_get_member (object, members[m]);

      if (node == NULL)
        continue;
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        return _osi_client_printable (json_node_get_string (node), -1, MAX_DETAIL_CHARS);
      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          g_autoptr(GString) joined = g_string_new (NULL);

          for (guint i = 0; i < json_array_get_length (array); i++)
            append_validation_item (joined, json_array_get_element (array, i));
          if (joined->len > 0)
            return _osi_client_printable (joined->str, -1, MAX_DETAIL_CHARS);
        }
    }
  return NULL;
}

/* Whether a 422 carries a verification report: osi-backup-server's
 * "failed verification". Any other 422 (FastAPI's own for a malformed
 * request) is a refused request. */
static gboolean
has_report (JsonNode *root)
{
  JsonNode *report;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  report = json_object_get_member (json_node_get_object (root), "report");
  return report != NULL && JSON_NODE_HOLDS_OBJECT (report);
}

/* A server without the endpoint asked (a 405, FastAPI's "Not Found", a
 * feature it does not list): the one sentence for all of them. */
static char *
unsupported_sentence (OsiClient *self)
{
  return g_strdup_printf (_("The server at %s does not offer this operation: it may be an older OSI backend."),
                          self->base_url);
}

/* The statuses whose sentence says all there is to say. */
static const struct
{
  guint           status;
  OsiClientError  code;
  const char     *sentence;
} plain_statuses[] = {
  { SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, OSI_CLIENT_ERROR_TOO_LARGE,
    N_("The file is larger than the server accepts: raise the server's upload limit.") },
  { SOUP_STATUS_INSUFFICIENT_STORAGE, OSI_CLIENT_ERROR_NO_SPACE,
    N_("Not enough space on the server: free space or delete old backups, then try again.") },
};

/* 404: a missing backup or copy, or an endpoint the server lacks. */
static char *
not_found_sentence (OsiClient      *self,
                    Call           *call,
                    const char     *detail,
                    OsiClientError *code)
{
  g_autofree char *shown = call->name != NULL ? _osi_client_printable (call->name, -1, 120) : NULL;

  *code = OSI_CLIENT_ERROR_NOT_FOUND;
  /* FastAPI's own answer for a route it does not have (docs/api.md §5.3):
   * a missing endpoint, never a missing backup. */
  if (g_strcmp0 (detail, "Not Found") == 0)
    {
      *code = OSI_CLIENT_ERROR_UNSUPPORTED;
      return unsupported_sentence (self);
    }
  if (call->op == OP_OFFSITE_LIST)
    {
      *code = OSI_CLIENT_ERROR_UNSUPPORTED;
      return g_strdup (_("This server does not copy its backups off-site."));
    }
  if (call->op == OP_OFFSITE_FETCH)
    return g_strdup_printf (_("The server has no off-site copy of “%s”: list the off-site copies."), shown);
  if (call->name != NULL && call->op != OP_UPLOAD)
    return g_strdup_printf (_("The server has no backup named “%s”: refresh the list of backups."), shown);
  return g_strdup_printf (_("The server at %s does not offer the backup API: check the server address."),
                          self->base_url);
}

/* 409: our server answers it for several conflicts; only the operation
 * tells them apart. */
static char *
conflict_sentence (Call           *call,
                   OsiClientError *code)
{
  g_autofree char *shown = call->name != NULL ? _osi_client_printable (call->name, -1, 120) : NULL;

  *code = OSI_CLIENT_ERROR_BUSY;
  if (call->op == OP_UPLOAD && call->name != NULL)
    {
      *code = OSI_CLIENT_ERROR_EXISTS;
      return g_strdup_printf (_("The server already has a different backup named “%s”. Rename the "
                                "file, keeping its extension, and try again."),
                              shown);
    }
  if (call->op == OP_OFFSITE_FETCH)
    {
      /* The backup is in the folder already, or being brought back: the
       * server's detail says which. */
      *code = OSI_CLIENT_ERROR_EXISTS;
      return g_strdup_printf (_("The server did not bring back “%s”: it is already in its backup folder, "
                                "or being brought back."),
                              shown);
    }
  if (call->op == OP_DOWNLOAD)
    return g_strdup (_("The backup changed on the server while it was being read: try again."));
  /* A protected backup (docs/api.md §6), or one being restored: the
   * server's detail says which. */
  if (call->op == OP_DELETE)
    return g_strdup_printf (_("The server keeps the backup “%s” for now."), shown);
  return g_strdup (_("A backup or a restore is already running on the server: wait for it to finish, then try "
                     "again."));
}

GError *
_osi_client_http_error (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->msg);
  g_autoptr(JsonNode) root = _osi_client_body_json (call);
  g_autofree char *detail = extract_detail (root);
  g_autofree char *sentence = NULL;
  g_autofree char *shown = NULL;
  OsiClientError code;

  for (guint i = 0; i < G_N_ELEMENTS (plain_statuses); i++)
    if (plain_statuses[i].status == status)
      return _osi_client_with_detail (plain_statuses[i].code, _(plain_statuses[i].sentence), detail, TRUE);

  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
      code = OSI_CLIENT_ERROR_BAD_REQUEST;
      if (call->op == OP_POLICY_SET)
        sentence = g_strdup (_("The server refused the policy."));
      else if (call->op == OP_PATCH)
        sentence = g_strdup (_("The server refused the change to the backup."));
      else
        sentence = g_strdup (_("The server refused the request as invalid: check the backup name."));
      break;

    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_FORBIDDEN:
      code = OSI_CLIENT_ERROR_UNAUTHORIZED;
      if (self->token == NULL)
        sentence = g_strdup (_("The server requires an API token: add it to this server profile."));
      else
        sentence = g_strdup (_("The server refused the token: check the API token of this server profile."));
      break;

    case SOUP_STATUS_NOT_FOUND:
      sentence = not_found_sentence (self, call, detail, &code);
      break;

    case SOUP_STATUS_CONFLICT:
      sentence = conflict_sentence (call, &code);
      break;

    case SOUP_STATUS_METHOD_NOT_ALLOWED:
      code = OSI_CLIENT_ERROR_UNSUPPORTED;
      sentence = unsupported_sentence (self);
      break;

    case SOUP_STATUS_UNPROCESSABLE_ENTITY:
      /* A fetch's 422 is a damaged copy, with a report or without one
       * (its SHA-256 differs: docs/api.md §7.4). */
      if (!has_report (root) && call->op != OP_OFFSITE_FETCH)
        {
          code = OSI_CLIENT_ERROR_BAD_REQUEST;
          sentence = g_strdup (_("The server refused the request."));
          break;
        }
      code = OSI_CLIENT_ERROR_INTEGRITY;
      if (call->op == OP_OFFSITE_FETCH)
        sentence = g_strdup (_("The off-site copy is damaged or incomplete: the server did not store it."));
      else
        sentence = g_strdup (_("The server found the backup damaged or incomplete, and did not use it: "
                               "check the backup file or choose another backup."));
      break;

    case SOUP_STATUS_BAD_GATEWAY:
      code = OSI_CLIENT_ERROR_SERVER;
      if (call->op == OP_OFFSITE_LIST || call->op == OP_OFFSITE_FETCH)
        sentence = g_strdup (_("The server could not use its off-site storage: check the storage's address, "
                               "keys and bucket in the server's settings, and its log."));
      else
        sentence = g_strdup_printf (_("The server could not carry out the request (HTTP error %u): try again "
                                      "later, or look at the server's log."),
                                    status);
      break;

    case SOUP_STATUS_MOVED_PERMANENTLY:
    case SOUP_STATUS_FOUND:
    case SOUP_STATUS_SEE_OTHER:
    case SOUP_STATUS_TEMPORARY_REDIRECT:
    case SOUP_STATUS_PERMANENT_REDIRECT:
      {
        const char *location = soup_message_headers_get_one (soup_message_get_response_headers (call->msg),
                                                             "Location");

        /* Never followed: the token must not go to another address. */
        code = OSI_CLIENT_ERROR_SERVER;
        shown = _osi_client_printable (location != NULL ? location : "?", -1, 200);
        sentence = g_strdup_printf (_("The server at %s redirects to %s: use that address in the server "
                                      "profile."),
                                    self->base_url, shown);
      }
      break;

    default:
      code = OSI_CLIENT_ERROR_SERVER;
      sentence = g_strdup_printf (_("The server could not carry out the request (HTTP error %u): try again "
                                    "later, or look at the server's log."),
                                  status);
      break;
    }

  return _osi_client_with_detail (code, sentence, detail, TRUE);
}

GError *
_osi_client_invalid_name_error (const char *name)
{
  g_autofree char *shown = _osi_client_printable (name, -1, 120);

  return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_BAD_REQUEST,
                      _("“%s” is not a valid backup name: names have letters, digits, dots, dashes and "
                        "underscores only."),
                      shown);
}

/* An errno of the local file system about path; format says what failed. */
GError *
_osi_client_local_error (int         saved_errno,
                         const char *path,
                         const char *format,
                         ...)
{
  g_autofree char *sentence = NULL;
  va_list args;

  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE,
                        _("Not enough space on this computer to write %s: free space, then download "
                          "again (the part already downloaded is kept)."),
                        path);
  va_start (args, format);
  sentence = g_strdup_vprintf (format, args);
  va_end (args);
  return _osi_client_with_detail (OSI_CLIENT_ERROR_LOCAL, sentence, g_strerror (saved_errno), FALSE);
}

GError *
_osi_client_unsupported_error (OsiClient  *self,
                               const char *feature)
{
  if (g_str_equal (feature, "verify"))
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                        _("The server at %s does not verify its backups itself: download the backup, then "
                          "check it on this computer."),
                        self->base_url);
  if (g_str_equal (feature, "diff"))
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                        _("The server at %s cannot say what a restore would change: compare two downloaded "
                          "backups on this computer instead."),
                        self->base_url);
  if (g_str_equal (feature, "offsite"))
    return g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                                _("This server does not copy its backups off-site."));
  if (g_str_equal (feature, "upload"))
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                        _("The server at %s does not accept backups sent from this computer: restore one of "
                          "its own backups instead."),
                        self->base_url);
  {
    g_autofree char *sentence = unsupported_sentence (self);

    return g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED, sentence);
  }
}
