"""A stand-in for the provincial authentication service platform (认证服务平台), per docs/auth-platform-contract.md.

It receives shared retirees (``POST /v1/persons:batch``) and pushes signed face-recognition results to the hub's
webhook (issue 5, function points 4.3/2.6)."""
