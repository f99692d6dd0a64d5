/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A request to the test server and its whole answer: the status, the
 * body, the response headers and, when the answer is non-empty
 * application/json, the parsed body. */
typedef struct
{
  guint               status;
  GBytes             *body;
  SoupMessageHeaders *headers;
  JsonNode           *json;
} OsiTestResponse;

void osi_test_response_free (OsiTestResponse *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiTestResponse, osi_test_response_free)

/* Sends msg on session and reads the whole answer, which must come (no
 * transport error). on_main_loop: sent asynchronously and waited for on
 * the default main context (osi_test_wait_result ()), which a server in
 * the test's own process needs to answer; else a synchronous send. */
OsiTestResponse *osi_test_send    (SoupSession  *session,
                                   SoupMessage  *msg,
                                   gboolean      on_main_loop);

/* method on base_url followed by path_query, with "Authorization: Bearer
 * token" (token NULL: no Authorization header), and body (NULL: none)
 * sent as content type type. */
OsiTestResponse *osi_test_request (SoupSession  *session,
                                   gboolean      on_main_loop,
                                   const char   *method,
                                   const char   *base_url,
                                   const char   *path_query,
                                   const char   *token,
                                   const char   *type,
                                   GBytes       *body);

/* Fails the test with the body when r's status is not status. */
void        osi_test_response_assert_status (OsiTestResponse *r,
                                             guint            status);
/* r's JSON object, asserted there. */
JsonObject *osi_test_response_object        (OsiTestResponse *r);

G_END_DECLS
