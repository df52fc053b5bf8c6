build-current/bench/chat_bench --label=F
