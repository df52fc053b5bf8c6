build-current/bench/chat_bench --label=idle
