build-baseline/bench/chat_bench --label=quick-idle
