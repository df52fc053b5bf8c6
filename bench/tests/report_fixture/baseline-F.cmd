build-baseline/bench/chat_bench --label=F
