"""strawberry's ASGI view with Tact's HTTP edge (api/graphql_http.py): the body read by Tact,
every refusal in JSON, the graphql-response+json media type, and 429 for a result refused by a
rate limit inside the schema. The app's view (api/app.py) adds the request's context."""

from __future__ import annotations

from typing import TypeVar

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.types import ExecutionResult

from api.graphql_http import (
    GRAPHQL_RESPONSE,
    JSON,
    BadRequest,
    is_request_error,
    preferred_media_type,
    read_request,
    refusal,
)
from api.logging import request_id_from
from api.rate_limits import rate_limited
from api.request_body import body_of, read_body, replayed
from schema.root import TactSchema

ContextT = TypeVar("ContextT")


class GraphQLOverHTTP(GraphQL[ContextT, None]):
    schema: TactSchema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # strawberry answers its refusals in plain text; here every refusal is JSON.
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            if scope["method"] == "POST":
                body = await read_body(receive)
                if await self._answer_planned(scope, body_of(body), send):
                    return
                receive = replayed(body, receive)
            response = await self.run(Request(scope, receive))
        except (HTTPException, BadRequest) as refused:
            response = refusal(refused, request_id_from(scope))
        await response(scope, receive, send)

    async def _answer_planned(self, scope: Scope, body: bytes, send: Send) -> bool:
        """Answers a POSTed registered document with a plan (schema/persisted.py) as `run`
        answers a POST, without its general machinery (a Request, subscriptions, streaming,
        batches, the IDE, a sub-response to merge), none of which a plan's answer needs.
        False for anything else, which `run` answers. The same status, media type and bytes
        as `run` (tests/api/test_persisted_documents.py). Why: docs/hot-path.md."""
        content_type = accept = ""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
        if JSON not in content_type:
            raise BadRequest("send the request as application/json", status=415)
        data = read_request(body, self._registered)
        document = self.schema.documents.by_text(data.query)
        if document is None or document.plan is None:
            return False
        context = await self.planned_context(scope)
        result = await self.schema.execute_planned(
            data.query, data.variables, context, data.operation_name
        )
        if result is None:
            return False
        media_type = preferred_media_type(accept)
        shown = process_result(result)
        status, headers = 200, []
        if media_type == GRAPHQL_RESPONSE and is_request_error(result):
            shown.pop("data", None)
            status = 400
        if (waiting := rate_limited(result)) is not None:
            status, headers = 429, [(b"retry-after", str(waiting).encode())]
        if result.errors:
            self._handle_errors(result.errors, shown)
        content = self.encode_json(shown)
        encoded = content if isinstance(content, bytes) else content.encode()
        headers += [
            (b"content-length", str(len(encoded)).encode()),
            (b"content-type", media_type.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": encoded})
        return True

    async def planned_context(self, scope: Scope) -> ContextT:
        """The context a plan runs with; a plan's answer sets no headers of its own, so no
        sub-response is made for it."""
        request = Request(scope)
        return await self.get_context(request, response=await self.get_sub_response(request))

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method != "POST":
            return await super().parse_http_body(request)  # type: ignore[return-value]
        if JSON not in (request.content_type or ""):
            raise BadRequest("send the request as application/json", status=415)
        return read_request(await request.get_body(), self._registered)

    def _registered(self, document_id: str) -> str | None:
        found = self.schema.documents.by_id(document_id)
        return found.text if found is not None else None

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = preferred_media_type(request.headers.get("accept", ""))
        request.scope["state"]["sub_response"] = sub_response
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        shown = await super().process_result(request, result)
        sub_response: Response = request.scope["state"]["sub_response"]
        if sub_response.media_type == GRAPHQL_RESPONSE and is_request_error(result):
            shown.pop("data", None)
            sub_response.status_code = 400
        if (waiting := rate_limited(result)) is not None:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(waiting)
        return shown

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type or JSON
        return response
