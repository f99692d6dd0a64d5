/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-test-http.h"
#include "osi-test-support.h"

void
osi_test_response_free (OsiTestResponse *r)
{
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_clear_pointer (&r->json, json_node_unref);
  g_free (r);
}

OsiTestResponse *
osi_test_send (SoupSession *session,
               SoupMessage *msg,
               gboolean     on_main_loop)
{
  g_autoptr(GError) error = NULL;
  OsiTestResponse *r = g_new0 (OsiTestResponse, 1);
  const char *type;

  if (on_main_loop)
    {
      g_autoptr(GAsyncResult) result = NULL;

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, osi_test_store_result, &result);
      osi_test_wait_result (&result, "an answer");
      r->body = soup_session_send_and_read_finish (session, result, &error);
    }
  else
    r->body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  type = soup_message_headers_get_content_type (r->headers, NULL);
  if (g_strcmp0 (type, "application/json") == 0 && g_bytes_get_size (r->body) > 0)
    {
      gsize len;
      const char *data = g_bytes_get_data (r->body, &len);

      r->json = osi_test_parse_json (data, (gssize)len);
    }
  return r;
}

OsiTestResponse *
osi_test_request (SoupSession *session,
                  gboolean     on_main_loop,
                  const char  *method,
                  const char  *base_url,
                  const char  *path_query,
                  const char  *token,
                  const char  *type,
                  GBytes      *body)
{
  g_autofree char *url = g_strconcat (base_url, path_query, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, type, body);
  return osi_test_send (session, msg, on_main_loop);
}

void
osi_test_response_assert_status (OsiTestResponse *r,
                                 guint            status)
{
  if (r->status != status)
    g_error ("expected %u, got %u: %.*s", status, r->status,
             (int)g_bytes_get_size (r->body), (const char *)g_bytes_get_data (r->body, NULL));
}

JsonObject *
osi_test_response_object (OsiTestResponse *r)
{
  g_assert_nonnull (r->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->json));
  return json_node_get_object (r->json);
}
