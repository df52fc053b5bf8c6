build-current/bench/chat_bench --label=L10
