/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "osi-client.h"
#include "osi-client-private.h"
#include "osi-json.h"
#include "osi-sha256.h"

G_DEFINE_QUARK (osi-client-error-quark, osi_client_error)

/* ------------------------------------------------------------------------ */
/* A certificate database that trusts a CA file in addition to the system's */

#define OSI_TYPE_CLIENT_CA_DATABASE (osi_client_ca_database_get_type ())

G_DECLARE_FINAL_TYPE (OsiClientCaDatabase, osi_client_ca_database, OSI, CLIENT_CA_DATABASE, GTlsDatabase)

struct _OsiClientCaDatabase
{
  GTlsDatabase  parent_instance;
  GTlsDatabase *own;
  GTlsDatabase *system;   /* may be NULL */
};

G_DEFINE_FINAL_TYPE (OsiClientCaDatabase, osi_client_ca_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
osi_client_ca_database_verify_chain (GTlsDatabase             *database,
                                     GTlsCertificate          *chain,
                                     const char               *purpose,
                                     GSocketConnectable       *identity,
                                     GTlsInteraction          *interaction,
                                     GTlsDatabaseVerifyFlags   flags,
                                     GCancellable             *cancellable,
                                     GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GTlsCertificateFlags own;

  own = g_tls_database_verify_chain (self->own, chain, purpose, identity, interaction, flags,
                                     cancellable, error);
  /* Anchored in the CA file: its verdict (expiry, host name) stands. */
  if (own == 0 || (own & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0 || self->system == NULL)
    return own;
  if (error != NULL && *error != NULL)
    return own;
  return g_tls_database_verify_chain (self->system, chain, purpose, identity, interaction, flags,
                                      cancellable, error);
}

static GTlsCertificate *
osi_client_ca_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                                  GTlsCertificate          *certificate,
                                                  GTlsInteraction          *interaction,
                                                  GTlsDatabaseLookupFlags   flags,
                                                  GCancellable             *cancellable,
                                                  GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GTlsCertificate *issuer;

  issuer = g_tls_database_lookup_certificate_issuer (self->own, certificate, interaction, flags,
                                                     cancellable, error);
  if (issuer != NULL || self->system == NULL || (error != NULL && *error != NULL))
    return issuer;
  return g_tls_database_lookup_certificate_issuer (self->system, certificate, interaction, flags,
                                                   cancellable, error);
}

static GList *
osi_client_ca_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                      GByteArray               *issuer_raw_dn,
                                                      GTlsInteraction          *interaction,
                                                      GTlsDatabaseLookupFlags   flags,
                                                      GCancellable             *cancellable,
                                                      GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GList *list;

  list = g_tls_database_lookup_certificates_issued_by (self->own, issuer_raw_dn, interaction, flags,
                                                       cancellable, error);
  if (self->system == NULL || (error != NULL && *error != NULL))
    return list;
  return g_list_concat (list, g_tls_database_lookup_certificates_issued_by (self->system, issuer_raw_dn,
                                                                             interaction, flags,
                                                                             cancellable, error));
}

static char *
osi_client_ca_database_create_certificate_handle (GTlsDatabase    *database,
                                                  GTlsCertificate *certificate)
{
  return g_tls_database_create_certificate_handle (OSI_CLIENT_CA_DATABASE (database)->own, certificate);
}

static GTlsCertificate *
osi_client_ca_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                      const char               *handle,
                                                      GTlsInteraction          *interaction,
                                                      GTlsDatabaseLookupFlags   flags,
                                                      GCancellable             *cancellable,
                                                      GError                  **error)
{
  return g_tls_database_lookup_certificate_for_handle (OSI_CLIENT_CA_DATABASE (database)->own, handle,
                                                       interaction, flags, cancellable, error);
}

static void
osi_client_ca_database_finalize (GObject *object)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (object);

  g_clear_object (&self->own);
  g_clear_object (&self->system);

  G_OBJECT_CLASS (osi_client_ca_database_parent_class)->finalize (object);
}

static void
osi_client_ca_database_class_init (OsiClientCaDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = osi_client_ca_database_finalize;
  database_class->verify_chain = osi_client_ca_database_verify_chain;
  database_class->lookup_certificate_issuer = osi_client_ca_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = osi_client_ca_database_lookup_certificates_issued_by;
  database_class->create_certificate_handle = osi_client_ca_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = osi_client_ca_database_lookup_certificate_for_handle;
}

static void
osi_client_ca_database_init (OsiClientCaDatabase *self)
{
}

/* ------------------------------------------------------------------------ */
/* The client                                                               */

G_DEFINE_FINAL_TYPE (OsiClient, osi_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
_osi_client_outcome_free (Outcome *outcome)
{
  g_clear_object (&outcome->backup);
  g_free (outcome->safety_backup);
  g_free (outcome->message);
  g_free (outcome);
}

void
_osi_client_call_stop_watchdog (Call *call)
{
  if (call->watchdog == NULL)
    return;
  g_source_destroy (call->watchdog);
  g_clear_pointer (&call->watchdog, g_source_unref);
}

static void
call_free (gpointer data)
{
  Call *call = data;

  _osi_client_call_stop_watchdog (call);
  if (call->user_cancel_source != NULL)
    {
      g_source_destroy (call->user_cancel_source);
      g_source_unref (call->user_cancel_source);
    }
  if (call->msg != NULL)
    {
      g_signal_handlers_disconnect_by_data (call->msg, call);
      g_object_unref (call->msg);
    }
  g_clear_object (&call->body);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->upload_stream);
  if (call->data != NULL)
    g_byte_array_unref (call->data);
  g_free (call->upload_path);
  g_free (call->name);
  g_clear_pointer (&call->before, g_hash_table_unref);
  g_clear_error (&call->unsure);
  g_clear_pointer (&call->outcome, _osi_client_outcome_free);
  _osi_client_download_free (call->dl);
  g_free (call);
}

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

  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
      code = OSI_CLIENT_ERROR_BAD_REQUEST;
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
      code = OSI_CLIENT_ERROR_NOT_FOUND;
      /* FastAPI's own answer for a route it does not have (docs/api.md §5.3):
       * a missing endpoint, never a missing backup. */
      if (g_strcmp0 (detail, "Not Found") == 0)
        {
          code = OSI_CLIENT_ERROR_UNSUPPORTED;
          sentence = unsupported_sentence (self);
        }
      else if (call->name != NULL && call->op != OP_UPLOAD)
        {
          shown = _osi_client_printable (call->name, -1, 120);
          sentence = g_strdup_printf (_("The server has no backup named “%s”: refresh the list of backups."),
                                      shown);
        }
      else
        sentence = g_strdup_printf (_("The server at %s does not offer the backup API: check the server "
                                      "address."),
                                    self->base_url);
      break;

    /* Our server answers 409 for three conflicts; only the operation
     * tells them apart. */
    case SOUP_STATUS_CONFLICT:
      if (call->op == OP_UPLOAD && call->name != NULL)
        {
          code = OSI_CLIENT_ERROR_EXISTS;
          shown = _osi_client_printable (call->name, -1, 120);
          sentence = g_strdup_printf (_("The server already has a different backup named “%s”. Rename the "
                                        "file, keeping its extension, and try again."),
                                      shown);
        }
      else if (call->op == OP_DOWNLOAD)
        {
          code = OSI_CLIENT_ERROR_BUSY;
          sentence = g_strdup (_("The backup changed on the server while it was being read: try again."));
        }
      else
        {
          code = OSI_CLIENT_ERROR_BUSY;
          sentence = g_strdup (_("A backup or a restore is already running on the server: wait for it to "
                                 "finish, then try again."));
        }
      break;

    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      code = OSI_CLIENT_ERROR_TOO_LARGE;
      sentence = g_strdup (_("The file is larger than the server accepts: raise the server's upload limit."));
      break;

    case SOUP_STATUS_METHOD_NOT_ALLOWED:
      code = OSI_CLIENT_ERROR_UNSUPPORTED;
      sentence = unsupported_sentence (self);
      break;

    case SOUP_STATUS_UNPROCESSABLE_ENTITY:
      if (!has_report (root))
        {
          code = OSI_CLIENT_ERROR_BAD_REQUEST;
          sentence = g_strdup (_("The server refused the request."));
          break;
        }
      code = OSI_CLIENT_ERROR_INTEGRITY;
      sentence = g_strdup (_("The server found the backup damaged or incomplete, and did not use it: "
                             "check the backup file or choose another backup."));
      break;

    case SOUP_STATUS_INSUFFICIENT_STORAGE:
      code = OSI_CLIENT_ERROR_NO_SPACE;
      sentence = g_strdup (_("Not enough space on the server: free space or delete old backups, then try "
                             "again."));
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

/* ------------------------------------------------------------------------ */
/* Progress                                                                 */

void
_osi_client_meter_start (Meter   *meter,
                         guint64  done)
{
  meter->started = meter->window_start = g_get_monotonic_time ();
  meter->window_done = meter->first_done = done;
  meter->last_call = 0;
  meter->rate = 0;
}

/* At most PROGRESS_INTERVAL_US apart unless forced; the rate is measured
 * over windows of about a second, since the start during the first. */
void
_osi_client_meter_report (Meter   *meter,
                          guint64  done,
                          guint64  total,
                          gboolean force)
{
  gint64 now;

  if (meter->func == NULL)
    return;
  now = g_get_monotonic_time ();
  if (done < meter->window_done)
    _osi_client_meter_start (meter, done);
  if (now - meter->window_start >= RATE_WINDOW_US)
    {
      meter->rate = (double)(done - meter->window_done) * G_USEC_PER_SEC / (double)(now - meter->window_start);
      meter->window_start = now;
      meter->window_done = done;
    }
  else if (meter->window_start == meter->started && now > meter->started)
    meter->rate = (double)(done - meter->first_done) * G_USEC_PER_SEC / (double)(now - meter->started);

  if (!force && meter->last_call != 0 && now - meter->last_call < PROGRESS_INTERVAL_US)
    return;
  meter->last_call = now;
  meter->func (done, total, meter->rate, meter->data);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */

void
_osi_client_call_touch (Call *call)
{
  call->last_activity = g_get_monotonic_time ();
}

static gboolean
watchdog_tick (gpointer data)
{
  Call *call = data;

  if (call->timed_out || call->waiting_server)
    return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time () - call->last_activity < (gint64)call->idle_timeout_s * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  g_debug ("no progress for %u s: giving up", call->idle_timeout_s);
  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_user_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  Call *call = data;

  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
enable_keepalive (GIOStream *stream)
{
  GSocket *socket;

  if (!G_IS_SOCKET_CONNECTION (stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_IPV4 && g_socket_get_family (socket) != G_SOCKET_FAMILY_IPV6)
    return;
  g_socket_set_keepalive (socket, TRUE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, KEEPALIVE_COUNT, NULL);
}

static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  Call               *call)
{
  _osi_client_call_touch (call);
  if (event == G_SOCKET_CLIENT_CONNECTED)
    enable_keepalive (connection);
}

static void
on_wrote_body_data (SoupMessage *msg,
                    guint        chunk_size,
                    Call        *call)
{
  _osi_client_call_touch (call);
  if (call->op != OP_UPLOAD)
    return;
  call->uploaded += chunk_size;
  _osi_client_meter_report (&call->meter, MIN (call->uploaded, call->upload_size), call->upload_size, FALSE);
}

static void
on_wrote_body (SoupMessage *msg,
               Call        *call)
{
  _osi_client_call_touch (call);
  call->body_sent = TRUE;
  if (call->op == OP_UPLOAD)
    _osi_client_meter_report (&call->meter, call->upload_size, call->upload_size, TRUE);
  if (call->server_works)
    call->waiting_server = TRUE;
}

static void
on_activity (SoupMessage *msg,
             Call        *call)
{
  _osi_client_call_touch (call);
}

static void
on_got_headers (SoupMessage *msg,
                Call        *call)
{
  call->waiting_server = FALSE;
  _osi_client_call_touch (call);
}

/* Never accepts: recording why lets the error say what is wrong. */
static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       Call                 *call)
{
  call->tls_errors = errors;
  return FALSE;
}

GTask *
_osi_client_call_task_new (OsiClient           *self,
                           Op                   op,
                           const char          *name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data,
                           gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->op = op;
  call->idle_timeout_s = self->idle_timeout_s;
  call->name = g_strdup (name);
  call->cancellable = g_cancellable_new ();
  call->server_works = op == OP_CREATE || op == OP_RESTORE || op == OP_VERIFY || op == OP_DIFF || op == OP_UPLOAD;
  g_task_set_task_data (task, call, call_free);

  if (cancellable != NULL)
    {
      /* Through the main context rather than g_cancellable_connect (): a
       * cancellation never runs our code inside the caller's cancel (). */
      call->user_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->user_cancel_source, (GSourceFunc)(GCallback)on_user_cancelled, call, NULL);
      g_source_attach (call->user_cancel_source, g_task_get_context (task));
    }
  return task;
}

/* Makes call->msg, or returns FALSE after returning an error on task. */
gboolean
_osi_client_call_prepare (GTask      *task,
                          const char *method,
                          const char *path,
                          gboolean    with_name_query,
                          gboolean    with_token)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  if (!self->url_valid)
    {
      g_autofree char *shown = _osi_client_printable (self->given_url, -1, 200);

      g_task_return_new_error (task, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION,
                               _("The server address “%s” is not valid: use an address like "
                                 "http://server:8000."),
                               shown);
      return FALSE;
    }
  if (with_token && self->token != NULL && !self->token_valid)
    {
      g_task_return_new_error (task, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED,
                               _("The API token of this server profile has characters a token cannot have "
                                 "(spaces, line breaks, accents): check it."));
      return FALSE;
    }

  if (with_name_query)
    escaped = g_uri_escape_string (call->name, NULL, FALSE);
  url = g_strconcat (self->base_url, path, escaped != NULL ? "?filename=" : NULL, escaped, NULL);
  call->msg = soup_message_new (method, url);
  if (call->msg == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, url));
      return FALSE;
    }

  soup_message_add_flags (call->msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (call->msg);
  if (with_token && self->token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }

  g_signal_connect (call->msg, "network-event", G_CALLBACK (on_network_event), call);
  g_signal_connect (call->msg, "accept-certificate", G_CALLBACK (on_accept_certificate), call);
  g_signal_connect (call->msg, "wrote-headers", G_CALLBACK (on_activity), call);
  g_signal_connect (call->msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), call);
  g_signal_connect (call->msg, "wrote-body", G_CALLBACK (on_wrote_body), call);
  g_signal_connect (call->msg, "got-informational", G_CALLBACK (on_activity), call);
  g_signal_connect (call->msg, "got-headers", G_CALLBACK (on_got_headers), call);
  return TRUE;
}

void
_osi_client_call_send (GTask               *task,
                       GAsyncReadyCallback  on_sent)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  call->waiting_server = FALSE;
  call->timed_out = FALSE;
  call->tls_errors = 0;
  _osi_client_call_touch (call);
  if (call->watchdog == NULL)
    {
      call->watchdog = g_timeout_source_new_seconds (1);
      g_source_set_callback (call->watchdog, watchdog_tick, call, NULL);
      g_source_attach (call->watchdog, g_task_get_context (task));
    }
  soup_session_send_async (self->session, call->msg, G_PRIORITY_DEFAULT, call->cancellable, on_sent,
                           g_object_ref (task));
}

static void read_body (GTask *task);

static gboolean answer_lost (GTask  *task,
                             GError *error);

static void
finish_response (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_object (&call->body);
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)) && !call->any_status)
    {
      guint status = soup_message_get_status (call->msg);

      /* A proxy's "no answer in time": the server behind may be at work. */
      if (status == SOUP_STATUS_BAD_GATEWAY || status == SOUP_STATUS_GATEWAY_TIMEOUT)
        {
          GError *cause = g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_SERVER, "HTTP %u", status);

          if (answer_lost (task, cause))
            return;
          g_error_free (cause);
        }
      g_task_return_error (task, _osi_client_http_error (task));
      return;
    }

  if (call->json_optional || call->any_status)
    {
      call->parse (task, NULL);
      return;
    }
  if (call->data->len == 0)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, _("empty answer")));
      return;
    }
  if (call->op == OP_LIST)
    {
      _osi_client_list_parse (task);
      return;
    }
  root = osi_json_parse ((const char *)call->data->data, call->data->len, &error);
  if (root == NULL)
    {
      g_task_return_error (task, _osi_client_protocol_error (self, error->message));
      return;
    }
  call->parse (task, root);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  _osi_client_call_touch (call);
  if (bytes == NULL)
    {
      /* An error answer without its detail is still the answer; so is a
       * 2xx whose status alone says the server did it (docs/api.md §5.3), even
       * if its body is cut or the caller cancels while it comes. */
      if ((!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) ||
          (SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)) && call->json_optional))
        {
          g_clear_error (&error);
          finish_response (task);
          return;
        }
      g_task_return_error (task, _osi_client_transport_error (task, error));
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      finish_response (task);
      return;
    }
  g_byte_array_append (call->data, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (call->data->len > call->limit)
    {
      if (SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)) && !call->json_optional)
        {
          g_autofree char *detail = g_strdup_printf (_("answer larger than %u MiB"),
                                                     (guint)(MAX_JSON_BYTES >> 20));

          g_task_return_error (task, _osi_client_protocol_error (g_task_get_source_object (task), detail));
          return;
        }
      g_byte_array_set_size (call->data, call->limit);
      finish_response (task);
      return;
    }
  read_body (task);
}

static void
read_body (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->body, BODY_READ_SIZE, G_PRIORITY_DEFAULT, call->cancellable,
                                   on_body_read, g_object_ref (task));
}

/* Reads the whole answer (bounded), then parses it or maps its status. */
void
_osi_client_start_reading (GTask        *task,
                           GInputStream *stream)
{
  Call *call = g_task_get_task_data (task);

  g_set_object (&call->body, stream);
  if (call->data == NULL)
    call->data = g_byte_array_new ();
  g_byte_array_set_size (call->data, 0);
  call->limit = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg)) ? MAX_JSON_BYTES
                                                                                : MAX_ERROR_BYTES;
  read_body (task);
}

/* A create or a restore whose whole request went, then whose answer was
 * lost (the connection broke, a proxy gave up with 502 or 504): the
 * server may have done it, and docs/api.md §5.4 forbids calling it a failure. A
 * create is looked for in the list (where the names before are known);
 * otherwise the error says to look before trying again. Returns FALSE,
 * leaving error to the caller, for anything else. */
static gboolean
answer_lost (GTask  *task,
             GError *error)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autofree char *sentence = NULL;

  if ((call->op != OP_CREATE && call->op != OP_RESTORE) || !call->body_sent ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (call->op == OP_CREATE)
    sentence = g_strdup_printf (_("The answer of the server at %s was lost while it made the backup: the backup "
                                  "may have been made. Refresh the list of backups before trying again."),
                                self->base_url);
  else
    sentence = g_strdup_printf (_("The answer of the server at %s was lost while it restored: the restore may "
                                  "have been done. Refresh the list and check the server's data before trying "
                                  "again."),
                                self->base_url);
  call->unsure = _osi_client_with_detail (OSI_CLIENT_ERROR_CONNECTION, sentence, error->message, FALSE);
  g_error_free (error);
  if (call->op == OP_CREATE && call->before != NULL)
    {
      call->outcome = g_new0 (Outcome, 1);
      g_clear_pointer (&call->name, g_free);
      osi_client_list_async (self, NULL, _osi_client_on_created_listed, g_object_ref (task));
    }
  else
    g_task_return_error (task, g_steal_pointer (&call->unsure));
  return TRUE;
}

void
_osi_client_on_json_sent (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      if (!answer_lost (task, error))
        g_task_return_error (task, _osi_client_transport_error (task, error));
      return;
    }
  _osi_client_start_reading (task, stream);
}

JsonObject *
_osi_client_root_object (GTask    *task,
                         JsonNode *root)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_task_return_error (task, _osi_client_protocol_error (g_task_get_source_object (task), _("not a JSON object")));
      return NULL;
    }
  return json_node_get_object (root);
}

gboolean
_osi_client_check_result (gpointer      self,
                          GAsyncResult *result,
                          gpointer      source_tag)
{
  return g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static gboolean
token_is_valid (const char *token)
{
  for (const char *p = token; *p != '\0'; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f)
      return FALSE;
  return token[0] != '\0';
}

static void
osi_client_constructed (GObject *object)
{
  OsiClient *self = OSI_CLIENT (object);
  g_autoptr(GUri) uri = NULL;

  G_OBJECT_CLASS (osi_client_parent_class)->constructed (object);

  /* Not normalised by GUri, which would add the default port. */
  if (self->given_url != NULL)
    uri = g_uri_parse (self->given_url, SOUP_HTTP_URI_FLAGS & ~G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  if (uri != NULL &&
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0) &&
      g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0' &&
      g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL)
    {
      g_autofree char *path = g_strdup (g_uri_get_path (uri));
      g_autofree char *scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
      gsize len = strlen (path);

      while (len > 0 && path[len - 1] == '/')
        path[--len] = '\0';
      /* Without user information: the API authenticates by token, and a
       * password must not appear in messages. */
      self->base_url = g_uri_join (G_URI_FLAGS_ENCODED, scheme,
                                   NULL, g_uri_get_host (uri), g_uri_get_port (uri), path, NULL, NULL);
      self->url_valid = TRUE;
    }
  else
    self->base_url = _osi_client_printable (self->given_url != NULL ? self->given_url : "", -1, 200);

  if (self->token != NULL)
    {
      g_strstrip (self->token);
      if (self->token[0] == '\0')
        g_clear_pointer (&self->token, g_free);
      else
        self->token_valid = token_is_valid (self->token);
    }

  self->session = soup_session_new_with_options ("timeout", 0,
                                                 "idle-timeout", POOL_IDLE_TIMEOUT_S,
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "user-agent", "osi-backup/" VERSION,
                                                 NULL);
}

static void
osi_client_dispose (GObject *object)
{
  OsiClient *self = OSI_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (osi_client_parent_class)->dispose (object);
}

static void
osi_client_finalize (GObject *object)
{
  OsiClient *self = OSI_CLIENT (object);

  g_clear_pointer (&self->last_list, g_ptr_array_unref);
  g_clear_pointer (&self->server_tz, g_time_zone_unref);
  g_strfreev (self->features);
  g_free (self->given_url);
  g_free (self->base_url);
  if (self->token != NULL)
    {
      memset (self->token, 0, strlen (self->token));
      g_free (self->token);
    }

  G_OBJECT_CLASS (osi_client_parent_class)->finalize (object);
}

static void
osi_client_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  OsiClient *self = OSI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_client_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  OsiClient *self = OSI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      self->given_url = g_value_dup_string (value);
      break;

    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_client_class_init (OsiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = osi_client_constructed;
  object_class->dispose = osi_client_dispose;
  object_class->finalize = osi_client_finalize;
  object_class->get_property = osi_client_get_property;
  object_class->set_property = osi_client_set_property;

  /* Normalised: no trailing slash, no user information. */
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  /* Write-only: the token never leaves the client but in its header. */
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_client_init (OsiClient *self)
{
  self->idle_timeout_s = IDLE_TIMEOUT_S;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

/* An OsiClient is used from the thread, and main context, it was created
 * in (as its SoupSession); callbacks and progress run there. */
OsiClient *
osi_client_new (const char *base_url,
                const char *token)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (OSI_TYPE_CLIENT,
                       "base-url", base_url,
                       "token", token,
                       NULL);
}

void
osi_client_set_idle_timeout (OsiClient *self,
                             guint      seconds)
{
  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (seconds > 0);

  self->idle_timeout_s = seconds;
}

gboolean
osi_client_set_server_time_zone (OsiClient   *self,
                                 const char  *identifier,
                                 GError     **error)
{
  g_autoptr(GTimeZone) tz = NULL;

  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (identifier != NULL && identifier[0] != '\0')
    {
      tz = osi_time_zone_new (identifier, error);
      if (tz == NULL)
        return FALSE;
    }
  g_clear_pointer (&self->server_tz, g_time_zone_unref);
  self->server_tz = g_steal_pointer (&tz);
  self->tz_generation++;
  /* The backups of the last list were dated in the old zone. */
  g_clear_pointer (&self->last_list, g_ptr_array_unref);
  return TRUE;
}

const char *
osi_client_get_base_url (OsiClient *self)
{
  g_return_val_if_fail (OSI_IS_CLIENT (self), NULL);

  return self->base_url;
}

/* ca_file NULL goes back to the system's certificate authorities only.
 * Connections already open keep the database they were made with. */
gboolean
osi_client_set_ca_file (OsiClient   *self,
                        const char  *ca_file,
                        GError     **error)
{
  g_autoptr(GTlsDatabase) own = NULL;
  g_autoptr(GError) local = NULL;
  OsiClientCaDatabase *database;
  GTlsBackend *backend;

  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  backend = g_tls_backend_get_default ();
  if (ca_file == NULL)
    {
      g_autoptr(GTlsDatabase) system = g_tls_backend_get_default_database (backend);

      soup_session_set_tls_database (self->session, system);
      return TRUE;
    }

  own = g_tls_file_database_new (ca_file, &local);
  if (own == NULL)
    {
      g_autofree char *sentence = g_strdup_printf (_("Cannot use the certificate authority file %s: choose a "
                                                     "PEM file holding the certificate of the authority that "
                                                     "signed the server's certificate."),
                                                   ca_file);

      g_propagate_error (error, _osi_client_with_detail (OSI_CLIENT_ERROR_TLS, sentence, local->message, FALSE));
      return FALSE;
    }

  database = g_object_new (OSI_TYPE_CLIENT_CA_DATABASE, NULL);
  database->own = g_steal_pointer (&own);
  database->system = g_tls_backend_get_default_database (backend);
  soup_session_set_tls_database (self->session, G_TLS_DATABASE (database));
  g_object_unref (database);
  return TRUE;
}

/* Features (docs/api.md §5.2 "Capabilities") ------------------------------------ */

static void
set_features (OsiClient  *self,
              JsonObject *health)
{
  JsonNode *node = health != NULL ? json_object_get_member (health, "features") : NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  self->full_api = node != NULL && JSON_NODE_HOLDS_ARRAY (node);
  if (self->full_api)
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (item));
        }
    }
  g_strfreev (self->features);
  self->features = g_strv_builder_end (builder);
  self->features_known = TRUE;
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

static void
on_features_known (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) health = osi_client_health_finish (self, result, &error);

  /* A server that cannot be asked cannot do the operation either. */
  if (health == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call->start (task);
}

/* Runs start once what the server offers is known: at once after the
 * first time. */
void
_osi_client_call_with_features (GTask     *task,
                                CallStart  start)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (self->features_known)
    {
      start (task);
      return;
    }
  call->start = start;
  osi_client_health_async (self, g_task_get_cancellable (task), on_features_known, g_object_ref (task));
}

/* Returns an error on task and FALSE where the server lacks feature. */
gboolean
_osi_client_call_check_feature (GTask      *task,
                                const char *feature)
{
  OsiClient *self = g_task_get_source_object (task);

  if (osi_client_has_feature (self, feature))
    return TRUE;
  g_task_return_error (task, _osi_client_unsupported_error (self, feature));
  return FALSE;
}

/* health ----------------------------------------------------------------- */

/* Sends a request answered in JSON, handled by parse (NULL for the list,
 * parsed in a worker: see finish_response). A request about a backup
 * checks its name first and sends it as ?filename=. */
void
_osi_client_json_call (GTask      *task,
                       ParseFunc   parse,
                       const char *method,
                       const char *path,
                       gboolean    named)
{
  Call *call = g_task_get_task_data (task);

  call->parse = parse;
  if (named && !osi_backup_name_is_valid (call->name))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (call->name));
      return;
    }
  if (_osi_client_call_prepare (task, method, path, named, TRUE))
    _osi_client_call_send (task, _osi_client_on_json_sent);
}

static void health_ask (GTask *task);

static void
on_health_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) backups = osi_client_list_finish (self, result, &error);
  JsonObject *object;

  if (backups == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* It lists: it offers the four base actions, nothing more. */
  set_features (self, NULL);
  object = json_object_new ();
  json_object_set_string_member (object, "status", "ok");
  g_task_return_pointer (task, object, (GDestroyNotify)json_object_unref);
}

/* docs/api.md §5.2: /api/health (osi-backup-server, with "features"), then
 * /health (the deployed OSI backend), then the list itself. */
static void
parse_health (GTask    *task,
              JsonNode *unused)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  gboolean ok = SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (call->msg));
  g_autoptr(JsonNode) root = ok ? _osi_client_body_json (call) : NULL;
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;

  guint status = soup_message_get_status (call->msg);

  if (call->step == 0 && object != NULL && _osi_client_member_string (object, "status") != NULL)
    {
      set_features (self, object);
      g_task_return_pointer (task, json_object_ref (object), (GDestroyNotify)json_object_unref);
      return;
    }
  /* Only an address that is not there sends on to the next: a server
   * failing now is not one without features, and is not remembered so. */
  if (!ok && status != SOUP_STATUS_NOT_FOUND && status != SOUP_STATUS_METHOD_NOT_ALLOWED)
    {
      g_task_return_error (task, _osi_client_http_error (task));
      return;
    }
  if (call->step == 1 && ok)
    {
      /* Our server answers here too, with its features. */
      set_features (self, object);
      if (object == NULL)
        {
          object = json_object_new ();
          json_object_set_string_member (object, "status", "ok");
          g_task_return_pointer (task, object, (GDestroyNotify)json_object_unref);
        }
      else
        g_task_return_pointer (task, json_object_ref (object), (GDestroyNotify)json_object_unref);
      return;
    }
  call->step++;
  g_signal_handlers_disconnect_by_data (call->msg, call);
  g_clear_object (&call->msg);
  health_ask (task);
}

static void
health_ask (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  switch (call->step)
    {
    case 0:
      _osi_client_json_call (task, parse_health, SOUP_METHOD_GET, "/api/health", FALSE);
      break;
    case 1:
      _osi_client_json_call (task, parse_health, SOUP_METHOD_GET, "/health", FALSE);
      break;
    default:
      osi_client_list_async (self, g_task_get_cancellable (task), on_health_listed, g_object_ref (task));
      break;
    }
}

void
osi_client_health_async (OsiClient           *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_HEALTH, NULL, cancellable, callback, user_data, osi_client_health_async);
  call = g_task_get_task_data (task);
  call->any_status = TRUE;
  health_ask (task);
}

JsonObject *
osi_client_health_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_health_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
osi_client_get_features_known (OsiClient *self)
{
  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);

  return self->features_known;
}

gboolean
osi_client_has_feature (OsiClient  *self,
                        const char *feature)
{
  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (feature != NULL, FALSE);

  return self->features != NULL && g_strv_contains ((const char * const *)self->features, feature);
}

/* create ----------------------------------------------------------------- */

/* The answer's "message", shown to the user: printable and bounded. */
static char *
server_message (JsonObject *object)
{
  const char *message = object != NULL ? _osi_client_member_string (object, "message") : NULL;

  return message != NULL && message[0] != '\0' ? _osi_client_printable (message, -1, MAX_DETAIL_CHARS) : NULL;
}

void
_osi_client_on_created_listed (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) backups = osi_client_list_finish (self, result, &error);
  OsiBackupInfo *newest = NULL;

  /* The backup was made: a list that fails now only leaves it unnamed. */
  if (backups == NULL)
    g_debug ("made, but not found again: %s", error->message);
  /* The name it gave, else the newest of the names new since before. */
  for (guint i = 0; backups != NULL && call->name != NULL && i < backups->len; i++)
    if (osi_backup_info_can_be_named (backups->pdata[i]) &&
        g_str_equal (osi_backup_info_get_name (backups->pdata[i]), call->name))
      call->outcome->backup = g_object_ref (backups->pdata[i]);
  for (guint i = 0; backups != NULL && call->outcome->backup == NULL && call->before != NULL && i < backups->len; i++)
    {
      OsiBackupInfo *info = backups->pdata[i];

      if (!osi_backup_info_can_be_named (info) || g_hash_table_contains (call->before, osi_backup_info_get_name (info)))
        continue;
      if (newest == NULL || (osi_backup_info_get_date_known (info) &&
                             (!osi_backup_info_get_date_known (newest) ||
                              g_date_time_compare (osi_backup_info_get_date (info), osi_backup_info_get_date (newest)) > 0)))
        newest = info;
    }
  if (call->outcome->backup == NULL && newest != NULL)
    call->outcome->backup = g_object_ref (newest);
  /* The answer was lost (docs/api.md §5.3): made only if the list says so. */
  if (call->unsure != NULL && call->outcome->backup == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&call->unsure));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
}

/* docs/api.md §5.3: success is the 2xx. Our server names the backup it made
 * ("backup"); the deployed OSI backend may give its "filename", or
 * nothing, and the backup is then found by listing again. */
static void
parse_create (GTask    *task,
              JsonNode *unused)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = _osi_client_body_json (call);
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *backup = object != NULL ? json_object_get_member (object, "backup") : NULL;
  const char *filename = object != NULL ? _osi_client_member_string (object, "filename") : NULL;

  call->outcome = g_new0 (Outcome, 1);
  call->outcome->message = server_message (object);
  if (backup != NULL && JSON_NODE_HOLDS_OBJECT (backup))
    call->outcome->backup = osi_backup_info_new_from_json (json_node_get_object (backup), self->server_tz, NULL);
  if (call->outcome->backup != NULL || (filename == NULL && call->before == NULL))
    {
      g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
      return;
    }
  g_free (call->name);
  call->name = filename != NULL && osi_backup_name_is_valid (filename) ? g_strdup (filename) : NULL;
  if (call->name == NULL && call->before == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
      return;
    }
  osi_client_list_async (self, NULL, _osi_client_on_created_listed, g_object_ref (task));
}

static void
create_post (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  call->json_optional = TRUE;
  _osi_client_json_call (task, parse_create, SOUP_METHOD_POST, "/api/rag/backup", FALSE);
}

static void
on_listed_before_create (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) backups = osi_client_list_finish (self, result, &error);

  if (backups == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call->before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < backups->len; i++)
    g_hash_table_add (call->before, g_strdup (osi_backup_info_get_name (backups->pdata[i])));
  create_post (task);
}

/* A server that may not say which backup it made is listed first, so
 * that the new name can be told from the others. */
static void
create_start (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);

  if (self->full_api)
    create_post (task);
  else
    osi_client_list_async (self, g_task_get_cancellable (task), on_listed_before_create, g_object_ref (task));
}

void
osi_client_create_async (OsiClient           *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_CREATE, NULL, cancellable, callback, user_data, osi_client_create_async);
  /* Once the server made it, a late cancellation must not say otherwise. */
  g_task_set_check_cancellable (task, FALSE);
  _osi_client_call_with_features (task, create_start);
}

/* Hands the outcome's parts to those who asked for them. */
static gboolean
propagate_outcome (GAsyncResult   *result,
                   OsiBackupInfo **backup,
                   char          **safety_backup,
                   char          **message,
                   GError        **error)
{
  Outcome *outcome = g_task_propagate_pointer (G_TASK (result), error);

  if (outcome == NULL)
    return FALSE;
  if (backup != NULL)
    *backup = g_steal_pointer (&outcome->backup);
  if (safety_backup != NULL)
    *safety_backup = g_steal_pointer (&outcome->safety_backup);
  if (message != NULL)
    *message = g_steal_pointer (&outcome->message);
  _osi_client_outcome_free (outcome);
  return TRUE;
}

gboolean
osi_client_create_finish (OsiClient      *self,
                          GAsyncResult   *result,
                          OsiBackupInfo **backup,
                          char          **message,
                          GError        **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_create_async), FALSE);

  return propagate_outcome (result, backup, NULL, message, error);
}

/* restore ---------------------------------------------------------------- */

/* docs/api.md §5.3: success is the 2xx; the safety backup is named only by our
 * server (the deployed backend keeps its own). */
static void
parse_restore (GTask    *task,
               JsonNode *unused)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = _osi_client_body_json (call);
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const char *safety = object != NULL ? _osi_client_member_string (object, "safety_backup") : NULL;
  Outcome *outcome = g_new0 (Outcome, 1);

  if (safety != NULL && osi_backup_name_is_valid (safety))
    outcome->safety_backup = g_strdup (safety);
  outcome->message = server_message (object);
  g_task_return_pointer (task, outcome, (GDestroyNotify)_osi_client_outcome_free);
}

void
osi_client_restore_async (OsiClient           *self,
                          const char          *name,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char *text;
  gsize len;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_RESTORE, name, cancellable, callback, user_data, osi_client_restore_async);
  /* Once the data was replaced, a late cancellation must not say otherwise. */
  g_task_set_check_cancellable (task, FALSE);
  call = g_task_get_task_data (task);
  call->parse = parse_restore;
  call->json_optional = TRUE;
  if (!osi_backup_name_is_valid (name))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (name));
      return;
    }
  if (!_osi_client_call_prepare (task, SOUP_METHOD_POST, "/api/rag/backup/restore", FALSE, TRUE))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backupFile");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &len);
  bytes = g_bytes_new_take (text, len);
  soup_message_set_request_body_from_bytes (call->msg, "application/json", bytes);
  _osi_client_call_send (task, _osi_client_on_json_sent);
}

gboolean
osi_client_restore_finish (OsiClient     *self,
                           GAsyncResult  *result,
                           char         **safety_backup,
                           char         **message,
                           GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_restore_async), FALSE);

  return propagate_outcome (result, NULL, safety_backup, message, error);
}

/* delete ----------------------------------------------------------------- */

static void
parse_delete (GTask    *task,
              JsonNode *root)
{
  g_task_return_boolean (task, TRUE);
}

void
osi_client_delete_async (OsiClient           *self,
                         const char          *name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_DELETE, name, cancellable, callback, user_data, osi_client_delete_async);
  /* Once the server deleted it, a late cancellation must not say otherwise. */
  g_task_set_check_cancellable (task, FALSE);
  call = g_task_get_task_data (task);
  /* Old backends may answer 204 or plain text. */
  call->json_optional = TRUE;
  _osi_client_json_call (task, parse_delete, SOUP_METHOD_DELETE, "/api/rag/backup", TRUE);
}

gboolean
osi_client_delete_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_delete_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* verify ----------------------------------------------------------------- */

static void
parse_verify (GTask    *task,
              JsonNode *root)
{
  if (_osi_client_root_object (task, root) == NULL)
    return;
  g_task_return_pointer (task, json_node_copy (root), (GDestroyNotify)json_node_unref);
}

static void
verify_start (GTask *task)
{
  if (_osi_client_call_check_feature (task, "verify"))
    _osi_client_json_call (task, parse_verify, SOUP_METHOD_GET, "/api/rag/backup/verify", TRUE);
}

void
osi_client_verify_async (OsiClient           *self,
                         const char          *name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_VERIFY, name, cancellable, callback, user_data, osi_client_verify_async);
  _osi_client_call_with_features (task, verify_start);
}

JsonNode *
osi_client_verify_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_verify_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* diff ------------------------------------------------------------------- */

static void
parse_diff (GTask    *task,
            JsonNode *root)
{
  GError *error = NULL;
  OsiDiff *diff;

  if (_osi_client_root_object (task, root) == NULL)
    return;
  diff = osi_diff_new_from_json (root, &error);
  if (diff == NULL)
    {
      GError *protocol = _osi_client_protocol_error (g_task_get_source_object (task), error->message);

      g_error_free (error);
      g_task_return_error (task, protocol);
      return;
    }
  g_task_return_pointer (task, diff, g_object_unref);
}

static void
diff_start (GTask *task)
{
  if (_osi_client_call_check_feature (task, "diff"))
    _osi_client_json_call (task, parse_diff, SOUP_METHOD_GET, "/api/rag/backup/diff", TRUE);
}

void
osi_client_diff_async (OsiClient           *self,
                       const char          *name,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_DIFF, name, cancellable, callback, user_data, osi_client_diff_async);
  _osi_client_call_with_features (task, diff_start);
}

OsiDiff *
osi_client_diff_finish (OsiClient     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_diff_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

