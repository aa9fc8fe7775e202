function broken( {
  return ;;
}}
