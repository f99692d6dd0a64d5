/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"
#include "osi-json.h"

/* One call to the server: the request with its watchdog, the answer read
 * whole and parsed, a lost answer, and what the server offers (health
 * discovery, docs/api.md §5.2). */

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
  g_clear_pointer (&call->request_json, json_node_unref);
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

/* What each operation is. server_works: the server works long between
 * the request and its answer, which has no idle limit meanwhile. acts:
 * the 2xx is the success, whatever its body (old backends answer 204 or
 * plain text). check_cancellable FALSE: once the server made, restored
 * or deleted a backup, or a download renamed its file into place, a late
 * cancellation must not say otherwise (a download checks cancellation at
 * every step instead). */
static const struct
{
  gboolean server_works;
  gboolean acts;
  gboolean check_cancellable;
} op_kinds[] = {
  [OP_HEALTH]     = { FALSE, FALSE, TRUE },
  [OP_LIST]       = { FALSE, FALSE, TRUE },
  [OP_CREATE]     = { TRUE, TRUE, FALSE },
  [OP_RESTORE]    = { TRUE, TRUE, FALSE },
  [OP_DELETE]     = { FALSE, TRUE, FALSE },
  [OP_VERIFY]     = { TRUE, FALSE, TRUE },
  [OP_DIFF]       = { TRUE, FALSE, TRUE },
  [OP_UPLOAD]     = { TRUE, FALSE, TRUE },
  [OP_DOWNLOAD]   = { FALSE, FALSE, FALSE },
  [OP_POLICY]     = { FALSE, FALSE, TRUE },
  [OP_POLICY_SET] = { FALSE, FALSE, FALSE },
  [OP_PRUNE]      = { TRUE, FALSE, FALSE },
  [OP_PATCH]      = { FALSE, FALSE, FALSE },
  /* A refresh reads every page of the storage's listing first; a fetch
   * downloads, checks and verifies the copy, minutes for a large one. */
  [OP_OFFSITE_LIST]  = { TRUE, FALSE, TRUE },
  [OP_OFFSITE_FETCH] = { TRUE, TRUE, FALSE },
};

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
  g_task_set_check_cancellable (task, op_kinds[op].check_cancellable);
  call->op = op;
  call->idle_timeout_s = self->idle_timeout_s;
  call->name = g_strdup (name);
  call->cancellable = g_cancellable_new ();
  call->server_works = op_kinds[op].server_works;
  call->json_optional = op_kinds[op].acts;
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

      /* A proxy's "no answer in time": the server behind may be at work.
       * A fetch's 502 is the server's own: its storage failed. */
      if ((status == SOUP_STATUS_BAD_GATEWAY && call->op != OP_OFFSITE_FETCH) ||
          status == SOUP_STATUS_GATEWAY_TIMEOUT)
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
  if (call->raw_body)
    {
      call->parse (task, NULL);
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

/* A create, a restore or a fetch whose whole request went, then whose
 * answer was lost (the connection broke, a proxy gave up with 502 or
 * 504): the server may have done it, and docs/api.md §5.4 forbids calling
 * it a failure. A create is looked for in the list (where the names
 * before are known), a fetch by its name; otherwise the error says to
 * look before trying again. Returns FALSE, leaving error to the caller,
 * for anything else. */
static gboolean
answer_lost (GTask  *task,
             GError *error)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autofree char *sentence = NULL;

  if ((call->op != OP_CREATE && call->op != OP_RESTORE && call->op != OP_OFFSITE_FETCH) || !call->body_sent ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (call->op == OP_OFFSITE_FETCH)
    sentence = g_strdup_printf (_("The answer of the server at %s was lost while it brought the backup back: it "
                                  "may have been brought back. Refresh the list of backups before trying again."),
                                self->base_url);
  else if (call->op == OP_CREATE)
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
      _osi_client_call_list (task, NULL, _osi_client_created_listed);
    }
  else if (call->op == OP_OFFSITE_FETCH)
    {
      call->outcome = g_new0 (Outcome, 1);
      _osi_client_call_list (task, NULL, _osi_client_fetched_listed);
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

/* What a call of the _async function source_tag returned. */
gpointer
_osi_client_propagate_pointer (gpointer       self,
                               GAsyncResult  *result,
                               gpointer       source_tag,
                               GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, source_tag), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) backups = osi_client_list_finish (OSI_CLIENT (source), result, &error);

  call->listed (task, backups, &error);
}

/* Lists the backups for task, which goes on with listed. cancellable:
 * the task's, or NULL for a list that must be read whatever happens. */
void
_osi_client_call_list (GTask        *task,
                       GCancellable *cancellable,
                       CallListed    listed)
{
  Call *call = g_task_get_task_data (task);

  call->listed = listed;
  osi_client_list_async (g_task_get_source_object (task), cancellable, on_listed, g_object_ref (task));
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
  _osi_client_json_call_with_body (task, parse, method, path, named, NULL);
}

/* The same with a JSON request body, when body is not NULL. */
void
_osi_client_json_call_with_body (GTask      *task,
                                 ParseFunc   parse,
                                 const char *method,
                                 const char *path,
                                 gboolean    named,
                                 JsonNode   *body)
{
  Call *call = g_task_get_task_data (task);

  call->parse = parse;
  if (named && !osi_backup_name_is_valid (call->name))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (call->name));
      return;
    }
  if (!_osi_client_call_prepare (task, method, path, named, TRUE))
    return;
  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(GBytes) bytes = NULL;
      gsize len;
      char *text;

      json_generator_set_root (generator, body);
      text = json_generator_to_data (generator, &len);
      bytes = g_bytes_new_take (text, len);
      soup_message_set_request_body_from_bytes (call->msg, "application/json", bytes);
    }
  _osi_client_call_send (task, _osi_client_on_json_sent);
}

static void health_ask (GTask *task);

static void
health_listed (GTask      *task,
               GPtrArray  *backups,
               GError    **error)
{
  JsonObject *object;

  if (backups == NULL)
    {
      g_task_return_error (task, g_steal_pointer (error));
      return;
    }
  /* It lists: it offers the four base actions, nothing more. */
  set_features (g_task_get_source_object (task), NULL);
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
      _osi_client_call_list (task, g_task_get_cancellable (task), health_listed);
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
  return _osi_client_propagate_pointer (self, result, osi_client_health_async, error);
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
