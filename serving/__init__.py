"""HTTP serving shared by the front ends that answer over HTTP (the Slack bot, the REST API): uvicorn, with the
limits a server facing the internet needs. It knows nothing of what it serves."""
