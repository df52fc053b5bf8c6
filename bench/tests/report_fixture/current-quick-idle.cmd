build-current/bench/chat_bench --label=quick-idle
