build-baseline/bench/chat_bench --label=L10
